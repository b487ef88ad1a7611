// X-Ray: the bundled handlers' SDK clients are instrumented, so in Lambda every DynamoDB and S3
// call reaches the X-Ray daemon as a subsegment; outside Lambda (no segment, no daemon) they stay
// silent. Each case runs the bundle in a child process, as Lambda would load it, against moto;
// a UDP socket on loopback plays the daemon.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { promisify } from 'node:util';
import {
  bundlePath, call, createPaymentEvent, importHandler, newMerchantId, paymentEvent, useAwsStack,
} from './helpers.mjs';

const run = promisify(execFile);
let payment;
let merchantId;

useAwsStack(async () => {
  const createPayment = (await importHandler('process-payment')).handler;
  merchantId = newMerchantId();
  payment = (await call(createPayment, createPaymentEvent(merchantId, { amount: 700, currency: 'EUR' }))).json;
});

// Loads one bundled handler in a fresh Node process, invokes it once, prints the response.
const INVOKE = `
const [file, event] = process.argv.slice(1);
const { handler } = await import(file);
const response = await handler(JSON.parse(event), { awsRequestId: 'r-1', getRemainingTimeInMillis: () => 10000 });
process.stdout.write('RESPONSE ' + JSON.stringify(response) + '\\n');
`;

async function invokeInChild(name, event, extraEnv) {
  return run(process.execPath, ['--input-type=module', '-e', INVOKE, bundlePath(name), JSON.stringify(event)], {
    env: { ...process.env, LOG_LEVEL: 'error', ...extraEnv },
  });
}

test('in Lambda, every DynamoDB and S3 call is sent to the X-Ray daemon as a subsegment', async () => {
  const daemon = createSocket('udp4');
  const received = [];
  daemon.on('message', (message) => received.push(message.toString('utf8')));
  await new Promise((resolveBind) => daemon.bind(0, '127.0.0.1', resolveBind));
  const traceId = `1-${Math.floor(Date.now() / 1000).toString(16)}-0123456789abcdef01234567`;
  const lambdaEnv = {
    LAMBDA_TASK_ROOT: '/var/task',
    AWS_LAMBDA_FUNCTION_NAME: 'payments-generate-receipt-test',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
    _X_AMZN_TRACE_ID: `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`,
  };
  try {
    const { stdout } = await invokeInChild('generate-receipt', paymentEvent(merchantId, payment.paymentId, '/receipt'), lambdaEnv);
    assert.match(stdout, /RESPONSE \{"statusCode":200/);
    const deadline = Date.now() + 5000;
    const names = () => received.map((m) => JSON.parse(m.slice(m.indexOf('\n') + 1)))
      .filter((doc) => doc.trace_id === traceId).map((doc) => `${doc.name}:${doc.aws?.operation}`);
    while (Date.now() < deadline && !(names().includes('DynamoDB:GetItem') && names().includes('S3:PutObject'))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(names().includes('DynamoDB:GetItem'), `subsegments received: ${names().join(', ')}`);
    assert.ok(names().includes('S3:PutObject'), `subsegments received: ${names().join(', ')}`);
    assert.ok(received.every((m) => m.startsWith('{"format":"json","version":1}\n')), 'X-Ray daemon protocol header');
  } finally {
    daemon.close();
  }
});

test('outside Lambda (tests, local API) the instrumented clients work and say nothing', async () => {
  const env = { LAMBDA_TASK_ROOT: '', _X_AMZN_TRACE_ID: '', AWS_XRAY_DAEMON_ADDRESS: '' };
  const { stdout, stderr } = await invokeInChild('get-payment', paymentEvent(merchantId, payment.paymentId), env);
  assert.equal(stderr, '');
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, stdout);
  const response = JSON.parse(lines[0].replace(/^RESPONSE /, ''));
  assert.equal(response.statusCode, 200);
  assert.deepEqual(JSON.parse(response.body), payment);
});
