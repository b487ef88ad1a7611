// Merchant isolation: merchant A can never read, refund or receipt merchant B's payment, and
// gets the same 404 as for a payment that does not exist.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  call, captureStdout, createPaymentEvent, importHandler, paymentEvent, refundEvent, useAwsStack,
} from './helpers.mjs';

const handlers = {};
let paymentOfB;

const env = useAwsStack(async () => {
  for (const name of ['process-payment', 'get-payment', 'refund-payment', 'generate-receipt']) {
    handlers[name] = (await importHandler(name)).handler;
  }
  const created = await call(handlers['process-payment'], createPaymentEvent('merchant_b', { amount: 100, currency: 'EUR' }));
  assert.equal(created.statusCode, 201);
  paymentOfB = created.json;
});

const notFoundBody = (res) => ({ statusCode: res.statusCode, error: res.json.error });

test('get: another merchant\'s payment looks exactly like an unknown one', async () => {
  const foreign = await call(handlers['get-payment'], paymentEvent('merchant_a', paymentOfB.paymentId));
  const unknown = await call(handlers['get-payment'], paymentEvent('merchant_a', 'pay_00000000000000000000000000000000'));
  assert.equal(foreign.statusCode, 404);
  assert.deepEqual(notFoundBody(foreign), notFoundBody(unknown));
  assert.equal(foreign.body.includes('merchant_b'), false);
});

test('refund: 404 and the payment is untouched', async () => {
  const res = await call(handlers['refund-payment'], refundEvent('merchant_a', paymentOfB.paymentId, { amount: 10 }));
  assert.equal(res.statusCode, 404);
  assert.equal(res.json.error.code, 'payment_not_found');
  const { Item } = await env.ddb.send(new GetCommand({ TableName: env.tables.transactions, Key: { transactionId: paymentOfB.paymentId } }));
  assert.equal(Item.refundedAmount, 0);
});

test('receipt: 404 and no object written', async () => {
  const res = await call(handlers['generate-receipt'], paymentEvent('merchant_a', paymentOfB.paymentId, '/receipt'));
  assert.equal(res.statusCode, 404);
  assert.equal(res.json.error.code, 'payment_not_found');
  const listed = await env.s3.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: 'receipts/' }));
  assert.equal(listed.KeyCount || 0, 0);
});

test('the owner still reads its payment', async () => {
  const res = await call(handlers['get-payment'], paymentEvent('merchant_b', paymentOfB.paymentId));
  assert.equal(res.statusCode, 200);
  assert.equal(res.json.merchantId, 'merchant_b');
});

test('a 5xx (missing table) returns a generic message without internals', async () => {
  const saved = process.env.TRANSACTIONS_TABLE;
  process.env.TRANSACTIONS_TABLE = 'payments-transactions-missing';
  try {
    const { result: res, output } = await captureStdout(() => call(handlers['get-payment'], paymentEvent('merchant_b', paymentOfB.paymentId)));
    assert.match(output, /ResourceNotFoundException/, 'internals are logged');
    assert.equal(JSON.parse(output.split('\n')[0]).requestId, res.json.requestId, 'log and response share the requestId');
    assert.equal(res.statusCode, 500);
    assert.equal(res.headers['Content-Type'], 'application/json');
    assert.equal(res.json.error.code, 'internal_error');
    assert.equal(typeof res.json.requestId, 'string');
    assert.deepEqual(Object.keys(res.json).sort(), ['error', 'requestId']);
    for (const leak of ['ResourceNotFound', 'payments-transactions-missing', 'Table', 'stack', 'at ', '127.0.0.1']) {
      assert.equal(res.body.includes(leak), false, `500 body leaks '${leak}': ${res.body}`);
    }
  } finally {
    process.env.TRANSACTIONS_TABLE = saved;
  }
});

test('a 5xx during create (missing idempotency table) is generic too', async () => {
  const saved = process.env.IDEMPOTENCY_TABLE;
  process.env.IDEMPOTENCY_TABLE = 'payments-idempotency-missing';
  try {
    const { result: res } = await captureStdout(() => call(handlers['process-payment'], createPaymentEvent('merchant_c', { amount: 5, currency: 'EUR' })));
    assert.equal(res.statusCode, 500);
    assert.equal(res.json.error.code, 'internal_error');
    assert.equal(res.body.includes('idempotency'), false);
  } finally {
    process.env.IDEMPOTENCY_TABLE = saved;
  }
});

test('an unset environment variable is a generic 500, not a crash', async () => {
  const saved = process.env.RECEIPTS_BUCKET;
  delete process.env.RECEIPTS_BUCKET;
  try {
    const { result: res, output } = await captureStdout(() => call(handlers['generate-receipt'], paymentEvent('merchant_b', paymentOfB.paymentId, '/receipt')));
    assert.match(output, /RECEIPTS_BUCKET/, 'the cause is logged');
    assert.equal(res.statusCode, 500);
    assert.equal(res.body.includes('RECEIPTS_BUCKET'), false);
  } finally {
    process.env.RECEIPTS_BUCKET = saved;
  }
});

test('an abandoned in-progress create is taken over with the same payment id', async () => {
  // Simulates a Lambda that claimed the key, wrote nothing else and died: the lock has expired.
  const merchantId = 'merchant_crash';
  const key = 'crashed-key';
  const body = { amount: 42, currency: 'EUR' };
  const { canonicalJson, sha256Hex } = await import('../../../stacks/compute/handlers/payments/lib/idempotency.mjs');
  const now = Math.floor(Date.now() / 1000);
  await env.ddb.send(new PutCommand({
    TableName: env.tables.idempotency,
    Item: {
      idempotencyKey: `${merchantId}#create-payment#${key}`,
      requestHash: sha256Hex(canonicalJson(body)),
      status: 'IN_PROGRESS',
      resourceId: 'pay_crashedcrashedcrashedcrashed00',
      lockToken: 'old',
      lockExpiresAt: now - 1,
      expiresAt: now + 3600,
    },
  }));
  const res = await call(handlers['process-payment'], createPaymentEvent(merchantId, body, key));
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json.paymentId, 'pay_crashedcrashedcrashedcrashed00');
  const replay = await call(handlers['process-payment'], createPaymentEvent(merchantId, body, key));
  assert.deepEqual(replay.json, res.json);
});
