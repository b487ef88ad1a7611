// generate-receipt against moto's S3: object written with SSE-KMS, presigned URL returned.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  call, captureStdout, createPaymentEvent, importHandler, newMerchantId, paymentEvent, refundEvent, useAwsStack,
} from './helpers.mjs';

const handlers = {};
const env = useAwsStack(async () => {
  for (const name of ['process-payment', 'refund-payment', 'generate-receipt']) {
    handlers[name] = (await importHandler(name)).handler;
  }
});

test('writes receipts/<merchantId>/<paymentId>.json with SSE-KMS and returns a 300 s presigned URL', async () => {
  const merchantId = newMerchantId();
  const created = await call(handlers['process-payment'], createPaymentEvent(merchantId, { amount: 1999, currency: 'CHF', description: 'receipt test' }));
  const { paymentId } = created.json;

  const res = await call(handlers['generate-receipt'], paymentEvent(merchantId, paymentId, '/receipt'));
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(Object.keys(res.json).sort(), ['expiresIn', 'paymentId', 'receiptKey', 'url']);
  assert.equal(res.json.paymentId, paymentId);
  assert.equal(res.json.expiresIn, 300);
  assert.equal(res.json.receiptKey, `receipts/${merchantId}/${paymentId}.json`);

  const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: res.json.receiptKey }));
  assert.equal(head.ContentType, 'application/json');
  assert.equal(head.ServerSideEncryption, 'aws:kms');
  // Encrypted with the data CMK, not the AWS managed aws/s3 key S3 picks when no key id is sent.
  assert.equal(head.SSEKMSKeyId, env.dataKeyArn);

  const url = new URL(res.json.url);
  assert.equal(url.searchParams.get('X-Amz-Expires'), '300');
  assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
  assert.ok(url.pathname.endsWith(`/${res.json.receiptKey}`), url.pathname);

  // The presigned URL really fetches the document.
  const fetched = await fetch(res.json.url);
  assert.equal(fetched.status, 200);
  const document = await fetched.json();
  assert.equal(document.paymentId, paymentId);
  assert.equal(document.merchantId, merchantId);
  assert.equal(document.amount, 1999);
  assert.equal(document.currency, 'CHF');
  assert.equal(document.status, 'succeeded');
  assert.equal(typeof document.issuedAt, 'string');
});

test('the receipt is rewritten with the current refund state', async () => {
  const merchantId = newMerchantId();
  const { paymentId } = (await call(handlers['process-payment'], createPaymentEvent(merchantId, { amount: 500, currency: 'EUR' }))).json;
  await call(handlers['generate-receipt'], paymentEvent(merchantId, paymentId, '/receipt'));
  await call(handlers['refund-payment'], refundEvent(merchantId, paymentId, { amount: 200 }));
  const res = await call(handlers['generate-receipt'], paymentEvent(merchantId, paymentId, '/receipt'));
  const object = await env.s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: res.json.receiptKey }));
  const document = JSON.parse(await object.Body.transformToString());
  assert.equal(document.refundedAmount, 200);
  assert.equal(document.status, 'partially_refunded');
});

test('unknown payment is 404 payment_not_found', async () => {
  const res = await call(handlers['generate-receipt'], paymentEvent(newMerchantId(), 'pay_unknown', '/receipt'));
  assert.equal(res.statusCode, 404);
  assert.equal(res.json.error.code, 'payment_not_found');
});

test('without DATA_KEY_ARN the call fails and no receipt is written with another key', async () => {
  const merchantId = newMerchantId();
  const { paymentId } = (await call(handlers['process-payment'], createPaymentEvent(merchantId, { amount: 700, currency: 'EUR' }))).json;
  const saved = process.env.DATA_KEY_ARN;
  delete process.env.DATA_KEY_ARN;
  try {
    const { result: res, output } = await captureStdout(() => call(handlers['generate-receipt'], paymentEvent(merchantId, paymentId, '/receipt')));
    assert.equal(res.statusCode, 500);
    assert.match(output, /DATA_KEY_ARN/);
  } finally {
    process.env.DATA_KEY_ARN = saved;
  }
  await assert.rejects(
    env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `receipts/${merchantId}/${paymentId}.json` })),
    (error) => error.name === 'NotFound' || error.$metadata?.httpStatusCode === 404,
  );
});
