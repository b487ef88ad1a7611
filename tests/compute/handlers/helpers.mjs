// Test harness: moto_server on loopback (the run's shared one, PAYMENTS_TEST_MOTO_ENDPOINT from
// global-setup.mjs; else a private one for a file run on its own), DynamoDB tables and the
// receipts bucket created from the dev inventory's schemas under names of this file's own, and
// builders for API Gateway proxy / authorizer events. Handlers are imported only after the
// environment points the SDK at moto, and from the esbuild bundle (`make build-handlers`,
// `build/lambda/payments`, or HANDLERS_BUNDLE_DIR): the code under test is the code deployed.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID, createHash } from 'node:crypto';
import { after, before } from 'node:test';
import { createTable, inventoryTable, readInventory } from '../../../stacks/compute/handlers/dev-tables.mjs';
import { startMoto } from './moto.mjs';
import { REPO_ROOT } from './paths.mjs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand, PutBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';

export { REPO_ROOT };
export const SOURCE_DIR = resolve(REPO_ROOT, 'stacks/compute/handlers/payments');
export const BUNDLE_DIR = resolve(process.env.HANDLERS_BUNDLE_DIR || resolve(REPO_ROOT, 'build/lambda/payments'));
export const REGION = 'eu-west-1';
/** The data CMK the compute layer hands every function (DATA_KEY_ARN); distinct from any default key. */
export const DATA_KEY_ARN = `arn:aws:kms:${REGION}:111122223333:key/5e1f0c2a-0000-4000-8000-7d2b9c4e1a30`;

const inventory = readInventory();

/**
 * Registers before/after hooks for a test file: moto up (or the run's shared server), environment
 * set, tables and bucket created with the inventory's schemas, then `setup(env)` (imports
 * handlers, seeds data). Everything runs in one hook because Node does not promise an order
 * between root hooks. Returns a live object filled in by the hook.
 *
 * The tables and the bucket carry the inventory's names plus a suffix of this file's own: on the
 * shared server every file sees only its own data (a Scan of "the" transactions table is this
 * file's), and a name a test uses for a missing table (`payments-merchants-missing`) exists in no
 * file. moto copies only the tables a transaction writes to, so one file's data never slows down
 * another's transactions.
 */
export function useAwsStack(setup = async () => {}) {
  const env = {};
  let moto;
  before(async () => {
    const shared = process.env.PAYMENTS_TEST_MOTO_ENDPOINT;
    moto = shared ? { endpoint: shared, stop: async () => {} } : await startMoto();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'error',
    });
    delete process.env.AWS_PROFILE;

    const suffix = `-${randomUUID().slice(0, 8)}`;
    const own = (spec) => ({ ...spec, TableName: `${spec.TableName}${suffix}` });
    const transactions = own(inventoryTable(inventory, 'payments-transactions'));
    const idempotency = own(inventoryTable(inventory, 'payments-idempotency'));
    const merchants = own(inventoryTable(inventory, 'payments-merchants'));
    const bucket = `${inventory.s3Buckets.find((b) => b.purpose === 'receipts').name}${suffix}`;
    process.env.TRANSACTIONS_TABLE = transactions.TableName;
    process.env.IDEMPOTENCY_TABLE = idempotency.TableName;
    process.env.MERCHANTS_TABLE = merchants.TableName;
    process.env.RECEIPTS_BUCKET = bucket;
    process.env.DATA_KEY_ARN = DATA_KEY_ARN;

    const client = new DynamoDBClient({});
    await Promise.all([transactions, idempotency, merchants].map((spec) => createTable(client, spec)));
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({
      Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION },
    }));
    await s3.send(new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
    }));

    Object.assign(env, {
      endpoint: moto.endpoint,
      ddb: DynamoDBDocumentClient.from(client),
      s3,
      tables: { transactions: transactions.TableName, idempotency: idempotency.TableName, merchants: merchants.TableName },
      bucket,
      dataKeyArn: DATA_KEY_ARN,
    });
    await setup(env);
  });
  after(async () => {
    env.ddb?.destroy();
    env.s3?.destroy();
    if (moto) await moto.stop();
  });
  return env;
}

function newestSourceMtime(dir) {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((entry) => {
    const path = resolve(dir, entry.name);
    return entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs;
  }));
}

/** The bundled handler's file; a missing or stale bundle fails loudly rather than testing old code. */
export function bundlePath(name) {
  const file = resolve(BUNDLE_DIR, `${name}.mjs`);
  if (!existsSync(file)) throw new Error(`no bundle at ${file}: run \`make build-handlers\` (or set HANDLERS_BUNDLE_DIR)`);
  if (!process.env.HANDLERS_BUNDLE_DIR && statSync(file).mtimeMs < newestSourceMtime(SOURCE_DIR)) {
    throw new Error(`${file} is older than the handler sources: run \`make build-handlers\``);
  }
  return file;
}

/** Imports a bundled handler by name (after the environment is set). */
export const importHandler = (name) => import(bundlePath(name));

/** An API Gateway REST (Lambda proxy) event. */
export function apiEvent({
  method = 'GET', resource = '/payments', path, pathParameters = null, headers = {}, body, merchantId,
} = {}) {
  const requestContext = { requestId: `req-${randomUUID()}`, stage: 'test', httpMethod: method, resourcePath: resource };
  if (merchantId !== undefined) requestContext.authorizer = { merchantId, principalId: merchantId };
  return {
    resource,
    path: path || resource,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters,
    queryStringParameters: null,
    requestContext,
    body: body === undefined ? null : (typeof body === 'string' ? body : JSON.stringify(body)),
    isBase64Encoded: false,
  };
}

export const lambdaContext = () => ({
  awsRequestId: randomUUID(),
  functionName: 'test',
  getRemainingTimeInMillis: () => 10_000,
});

/** Invokes a proxy handler and parses its JSON body. */
export async function call(handler, event) {
  const response = await handler(event, lambdaContext());
  return { ...response, json: response.body ? JSON.parse(response.body) : undefined };
}

export const newMerchantId = () => `m_${randomUUID().slice(0, 8)}`;

export function createPaymentEvent(merchantId, body, key = randomUUID()) {
  return apiEvent({ method: 'POST', resource: '/payments', headers: { 'Idempotency-Key': key, 'Content-Type': 'application/json' }, body, merchantId });
}

export function paymentEvent(merchantId, paymentId, suffix = '') {
  return apiEvent({
    method: 'GET', resource: `/payments/{paymentId}${suffix}`, path: `/payments/${paymentId}${suffix}`, pathParameters: { paymentId }, merchantId,
  });
}

export function refundEvent(merchantId, paymentId, body, key = randomUUID()) {
  return apiEvent({
    method: 'POST',
    resource: '/payments/{paymentId}/refunds',
    path: `/payments/${paymentId}/refunds`,
    pathParameters: { paymentId },
    headers: { 'idempotency-key': key },
    body,
    merchantId,
  });
}

export async function putMerchant(env, { merchantId, apiKey, status = 'active' }) {
  const apiKeyHash = createHash('sha256').update(apiKey, 'utf8').digest('hex');
  await env.ddb.send(new PutCommand({ TableName: env.tables.merchants, Item: { merchantId, apiKeyHash, status, name: merchantId } }));
}

/** Captures everything written to stdout while `fn` runs (the handlers' JSON log lines). */
export async function captureStdout(fn) {
  const original = process.stdout.write;
  const lines = [];
  // Only the handlers' JSON log lines are captured; anything else (the test runner's own
  // protocol) is passed through untouched.
  process.stdout.write = (chunk, ...rest) => {
    const text = String(chunk);
    if (text.startsWith('{"') && text.includes('"function":')) {
      lines.push(text);
      return true;
    }
    return original.call(process.stdout, chunk, ...rest);
  };
  try {
    const result = await fn();
    return { result, output: lines.join('') };
  } finally {
    process.stdout.write = original;
  }
}

/** A payment made through the create handler; anything but 201 fails the test with the body. */
export async function createdPayment(createPayment, merchantId, amount = 100) {
  const res = await call(createPayment, createPaymentEvent(merchantId, { amount, currency: 'EUR' }));
  assert.equal(res.statusCode, 201, res.body);
  return res.json;
}

/** A payment item as stored in the transactions table. */
export async function paymentItem(env, paymentId) {
  const { Item } = await env.ddb.send(new GetCommand({ TableName: env.tables.transactions, Key: { transactionId: paymentId } }));
  return Item;
}

/** The refund records of a payment (their own items, `recordType` = refund). */
export async function refundItems(env, paymentId) {
  const items = [];
  let ExclusiveStartKey;
  do {
    const page = await env.ddb.send(new ScanCommand({
      TableName: env.tables.transactions,
      FilterExpression: 'paymentId = :p AND recordType = :r',
      ExpressionAttributeValues: { ':p': paymentId, ':r': 'refund' },
      ExclusiveStartKey,
    }));
    items.push(...page.Items);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Size of an item as JSON: attribute names and values plus punctuation, an upper bound of DynamoDB's measure. */
export const itemSize = (item) => Buffer.byteLength(JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v] : v)));
