// Measures the request latency of the create-payment (POST /payments) and get-payment
// (GET /payments/{paymentId}) handlers against emulated AWS, invoking each handler in-process.
// A measurement, not a test: it prints figures and never asserts on them.
//
//   AWS_ENDPOINT_URL=http://127.0.0.1:5055 node stacks/compute/handlers/bench-latency.mjs [requests] [warmup]
//
// `make bench` (tools/payments_tools/bench.py) starts moto_server on a free port and runs this
// with AWS_ENDPOINT_URL, AWS_REGION and dummy credentials set, indenting whatever it prints.
// The script creates its own tables (schemas from config/dev-environment.json, names suffixed
// with a random id so it never touches existing ones), and deletes them when done. Without
// AWS_ENDPOINT_URL it refuses to run, so it can never create tables in a real account.

import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, inventoryTable, readInventory } from './dev-tables.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const HANDLERS_DIR = resolve(HERE, 'payments');

const MAX_REQUESTS = 10_000;
const boundedCount = (arg, fallback) => {
  const n = Number(arg);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, MAX_REQUESTS) : fallback;
};
const REQUESTS = Math.max(1, boundedCount(process.argv[2], 200));
const WARMUP = boundedCount(process.argv[3], 20);
const WATCHDOG_MS = 300_000;

if (!process.env.AWS_ENDPOINT_URL) {
  console.error('AWS_ENDPOINT_URL is not set: this benchmark only runs against emulated AWS (moto_server)');
  process.exit(2);
}
process.env.AWS_REGION ||= 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID ||= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ||= 'bench';
// The handlers log one JSON line per request on stdout; keep only errors so the figures stay readable.
process.env.LOG_LEVEL = process.env.BENCH_LOG_LEVEL || 'error';

const inventory = readInventory();
const runId = randomUUID().slice(0, 8);

function tableSpec(prefix) {
  const spec = inventoryTable(inventory, prefix);
  return { ...spec, TableName: `${spec.TableName}-bench-${runId}` };
}

const specs = {
  TRANSACTIONS_TABLE: tableSpec('payments-transactions'),
  IDEMPOTENCY_TABLE: tableSpec('payments-idempotency'),
  MERCHANTS_TABLE: tableSpec('payments-merchants'),
};

const client = new DynamoDBClient({});
const created = [];

async function create(spec) {
  await createTable(client, spec);
  created.push(spec.TableName);
}

async function cleanup() {
  const names = created.splice(0);
  const results = await Promise.allSettled(names.map((TableName) => client.send(new DeleteTableCommand({ TableName }))));
  results.forEach((result, i) => {
    if (result.status === 'rejected') console.error(`could not delete table ${names[i]}: ${result.reason}`);
  });
}

// API Gateway REST (Lambda proxy) events, as the authorizer would pass them on.
const merchantId = `m_bench_${runId}`;

function apiEvent({ method, resource, path, pathParameters = null, headers = {}, body = null }) {
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters,
    queryStringParameters: null,
    requestContext: {
      requestId: `req-${randomUUID()}`, stage: 'bench', httpMethod: method, resourcePath: resource,
      authorizer: { merchantId, principalId: merchantId },
    },
    body,
    isBase64Encoded: false,
  };
}

const createPaymentEvent = (i) => apiEvent({
  method: 'POST',
  resource: '/payments',
  path: '/payments',
  headers: { 'Idempotency-Key': randomUUID(), 'Content-Type': 'application/json' },
  body: JSON.stringify({ amount: 1000 + i, currency: 'EUR', description: `bench payment ${i}` }),
});

const getPaymentEvent = (paymentId) => apiEvent({
  method: 'GET', resource: '/payments/{paymentId}', path: `/payments/${paymentId}`, pathParameters: { paymentId },
});

const lambdaContext = () => ({
  awsRequestId: randomUUID(), functionName: 'bench', getRemainingTimeInMillis: () => 10_000,
});

/** Invokes `handler` sequentially, `WARMUP` unmeasured then `REQUESTS` measured times. */
async function measure(handler, makeEvent, expectedStatus, onResponse = () => {}) {
  const times = [];
  let errors = 0;
  let lastError = '';
  for (let i = 0; i < WARMUP + REQUESTS; i += 1) {
    const event = makeEvent(i);
    const context = lambdaContext();
    const start = performance.now();
    const response = await handler(event, context);
    const elapsed = performance.now() - start;
    if (response?.statusCode === expectedStatus) {
      onResponse(response);
    } else {
      errors += 1;
      lastError = `${response?.statusCode} ${response?.body}`;
    }
    if (i >= WARMUP) times.push(elapsed);
  }
  return { times, errors, lastError };
}

// Nearest-rank percentile.
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const COLUMNS = ['p50', 'p90', 'p99', 'max', 'mean'];

function report(name, { times, errors, lastError }) {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, t) => sum + t, 0) / sorted.length;
  const figures = [percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99), sorted[sorted.length - 1], mean];
  console.log([name.padEnd(16), ...figures.map((f) => f.toFixed(2).padStart(8)), String(errors).padStart(7)].join(' '));
  if (errors > 0) console.log(`  ${name}: ${errors} unexpected responses, last: ${lastError.slice(0, 200)}`);
}

const watchdog = setTimeout(async () => {
  console.error(`benchmark did not finish within ${WATCHDOG_MS / 1000}s`);
  await cleanup().catch(() => {});
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

let handlerClient;
try {
  await Promise.all(Object.values(specs).map(create));
  for (const [name, spec] of Object.entries(specs)) process.env[name] = spec.TableName;

  // Imported only now, so the handlers' module-scope SDK client sees the environment above.
  const importHandler = async (name) => (await import(pathToFileURL(resolve(HANDLERS_DIR, `${name}.mjs`)).href)).handler;
  const createPayment = await importHandler('process-payment');
  const getPayment = await importHandler('get-payment');
  handlerClient = (await import(pathToFileURL(resolve(HANDLERS_DIR, 'lib/dynamodb.mjs')).href)).ddb;

  console.log(`node ${process.version}, endpoint ${process.env.AWS_ENDPOINT_URL}`);
  console.log(`${REQUESTS} sequential requests per handler after ${WARMUP} warm-up, latency in ms`);
  console.log(['handler'.padEnd(16), ...COLUMNS.map((c) => c.padStart(8)), 'errors'.padStart(7)].join(' '));

  const paymentIds = [];
  const creates = await measure(createPayment, createPaymentEvent, 201, (response) => {
    paymentIds.push(JSON.parse(response.body).paymentId);
  });
  report('create-payment', creates);

  if (paymentIds.length === 0) {
    console.log(`${'get-payment'.padEnd(16)} no payment was created, nothing to read`);
  } else {
    report('get-payment', await measure(getPayment, (i) => getPaymentEvent(paymentIds[i % paymentIds.length]), 200));
  }
} finally {
  handlerClient?.destroy();
  await cleanup();
  client.destroy();
  clearTimeout(watchdog);
}
