// refund-payment against moto: partial then full, over-refund, concurrency, idempotency, records
// written before refundedAmount/status existed, refundable states, bounded item size.

import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  call, createdPayment, importHandler, newMerchantId, paymentItem, refundEvent, refundItems, useAwsStack,
} from './helpers.mjs';

let createPayment;
let refundPayment;

const env = useAwsStack(async () => {
  createPayment = (await importHandler('process-payment')).handler;
  refundPayment = (await importHandler('refund-payment')).handler;
});

const newPayment = (merchantId, amount) => createdPayment(createPayment, merchantId, amount);
const storedPayment = (paymentId) => paymentItem(env, paymentId);
const refundRecords = (paymentId) => refundItems(env, paymentId);

/** A payment item as an older writer left it: only the fields given. */
async function putLegacyPayment(item) {
  const paymentId = `pay_${randomUUID().replace(/-/g, '')}`;
  await env.ddb.send(new PutCommand({
    TableName: env.tables.transactions,
    Item: { transactionId: paymentId, currency: 'EUR', createdAt: '2024-01-01T00:00:00.000Z', ...item },
  }));
  return paymentId;
}

test('partial refund then full refund', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);

  const partial = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 40, reason: 'damaged' }));
  assert.equal(partial.statusCode, 201, partial.body);
  assert.match(partial.json.refundId, /^ref_[0-9a-f]{32}$/); // the contract's Refund.refundId pattern
  assert.equal(partial.json.paymentId, payment.paymentId);
  assert.equal(partial.json.amount, 40);
  assert.equal(partial.json.currency, 'EUR');
  assert.match(partial.json.createdAt, /Z$/);
  assert.deepEqual(
    { status: partial.json.payment.status, refundedAmount: partial.json.payment.refundedAmount, amount: partial.json.payment.amount },
    { status: 'partially_refunded', refundedAmount: 40, amount: 100 },
  );

  const full = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 60 }));
  assert.equal(full.statusCode, 201, full.body);
  assert.equal(full.json.payment.status, 'refunded');
  assert.equal(full.json.payment.refundedAmount, 100);

  const item = await storedPayment(payment.paymentId);
  assert.equal(item.refundedAmount, 100);
  assert.equal(item.status, 'refunded');
  assert.equal(item.refunds, undefined); // nothing is appended to the payment any more
  const records = await refundRecords(payment.paymentId);
  assert.deepEqual(records.map((r) => [r.transactionId, r.refundId, r.amount, r.reason, r.merchantId, r.currency]).sort((a, b) => b[2] - a[2]), [
    [`refund#${full.json.refundId}`, full.json.refundId, 60, undefined, merchantId, 'EUR'],
    [`refund#${partial.json.refundId}`, partial.json.refundId, 40, 'damaged', merchantId, 'EUR'],
  ]);
});

test('over-refund is 422 refund_exceeds_remaining and changes nothing', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);
  assert.equal((await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 70 }))).statusCode, 201);
  const res = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 31 }));
  assert.equal(res.statusCode, 422, res.body);
  assert.equal(res.json.error.code, 'refund_exceeds_remaining');
  assert.equal((await storedPayment(payment.paymentId)).refundedAmount, 70);
  const first = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 101 }));
  assert.equal(first.statusCode, 422);
});

test('refund of an unknown payment is 404', async () => {
  const res = await call(refundPayment, refundEvent(newMerchantId(), 'pay_unknown', { amount: 1 }));
  assert.equal(res.statusCode, 404);
  assert.equal(res.json.error.code, 'payment_not_found');
});

test('refund validation names the field', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId);
  for (const [body, code, field] of [
    [{ amount: 0 }, 'invalid_field', 'amount'],
    [{ amount: 1.5 }, 'invalid_field', 'amount'],
    [{ amount: 10, reason: 'r'.repeat(257) }, 'invalid_field', 'reason'],
    [{ amount: 10, currency: 'EUR' }, 'unknown_field', 'currency'],
  ]) {
    const res = await call(refundPayment, refundEvent(merchantId, payment.paymentId, body));
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json.error.code, code);
    assert.match(res.json.error.message, new RegExp(field));
  }
});

test('10 concurrent refunds of 30 against 100: exactly 3 succeed, never over-refunded', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);
  const results = await Promise.all(Array.from({ length: 10 }, () => call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 30 }))));
  const codes = results.map((r) => r.statusCode);
  assert.equal(codes.filter((c) => c === 201).length, 3, codes.join(','));
  assert.equal(codes.filter((c) => c === 422).length, 7, codes.join(','));
  const item = await storedPayment(payment.paymentId);
  assert.equal(item.refundedAmount, 90);
  assert.equal(item.status, 'partially_refunded');
  const records = await refundRecords(payment.paymentId);
  assert.equal(records.length, 3);
  assert.equal(records.reduce((sum, r) => sum + r.amount, 0), 90);
});

test('concurrent refunds that exactly exhaust the amount end in status refunded', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);
  const results = await Promise.all(Array.from({ length: 8 }, () => call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 25 }))));
  assert.equal(results.filter((r) => r.statusCode === 201).length, 4, results.map((r) => r.statusCode).join(','));
  const item = await storedPayment(payment.paymentId);
  assert.equal(item.refundedAmount, 100);
  assert.equal(item.status, 'refunded');
});

test('refund retries are idempotent; same key with another amount is 409', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);
  const key = randomUUID();
  const first = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 30 }, key));
  const again = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 30 }, key));
  assert.equal(first.statusCode, 201);
  assert.equal(again.statusCode, 201);
  assert.deepEqual(again.json, first.json);
  assert.equal((await storedPayment(payment.paymentId)).refundedAmount, 30);
  const reused = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 31 }, key));
  assert.equal(reused.statusCode, 409);
  assert.equal(reused.json.error.code, 'idempotency_key_reused');
});

test('a record without refundedAmount or status refunds from their natural defaults', async () => {
  const merchantId = newMerchantId();
  const paymentId = await putLegacyPayment({ merchantId, amount: 100 });
  const partial = await call(refundPayment, refundEvent(merchantId, paymentId, { amount: 30 }));
  assert.equal(partial.statusCode, 201, partial.body);
  assert.deepEqual([partial.json.payment.refundedAmount, partial.json.payment.status], [30, 'partially_refunded']);

  const fullId = await putLegacyPayment({ merchantId, amount: 100 });
  const full = await call(refundPayment, refundEvent(merchantId, fullId, { amount: 100 }));
  assert.equal(full.statusCode, 201, full.body);
  assert.deepEqual([full.json.payment.refundedAmount, full.json.payment.status], [100, 'refunded']);
  const stored = await storedPayment(fullId);
  assert.deepEqual([stored.refundedAmount, stored.status], [100, 'refunded']);

  // status missing, refundedAmount present (and the reverse)
  const noStatus = await putLegacyPayment({ merchantId, amount: 100, refundedAmount: 40 });
  const res1 = await call(refundPayment, refundEvent(merchantId, noStatus, { amount: 60 }));
  assert.equal(res1.statusCode, 201, res1.body);
  assert.equal(res1.json.payment.status, 'refunded');
  const noAmount = await putLegacyPayment({ merchantId, amount: 100, status: 'succeeded' });
  const res2 = await call(refundPayment, refundEvent(merchantId, noAmount, { amount: 101 }));
  assert.equal(res2.statusCode, 422);
  assert.equal(res2.json.error.code, 'refund_exceeds_remaining');
});

test('concurrent refunds of a record without refundedAmount never over-refund', async () => {
  const merchantId = newMerchantId();
  const paymentId = await putLegacyPayment({ merchantId, amount: 100 });
  const results = await Promise.all(Array.from({ length: 6 }, () => call(refundPayment, refundEvent(merchantId, paymentId, { amount: 40 }))));
  assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 201, 422, 422, 422, 422]);
  assert.equal((await storedPayment(paymentId)).refundedAmount, 80);
});

test('only a succeeded or partially refunded payment can be refunded: anything else is 409 payment_not_refundable', async () => {
  const merchantId = newMerchantId();
  for (const [item, status] of [
    [{ amount: 100, status: 'failed', refundedAmount: 0 }, 'failed'],
    [{ amount: 100, status: 'pending' }, 'pending'],
    [{ amount: 100, status: 'canceled', refundedAmount: 0 }, 'canceled'],
    [{ amount: 100, status: 'refunded', refundedAmount: 100 }, 'refunded'],
    [{ amount: 100, refundedAmount: 100 }, 'refunded'], // no status: the amounts say refunded
    [{ amount: 100, status: 'x'.repeat(5000) }, 'x'.repeat(64)],
    [{ amount: 'abc', status: 'succeeded' }, 'amounts'],
    [{ status: 'succeeded' }, 'amounts'],
  ]) {
    const paymentId = await putLegacyPayment({ merchantId, ...item });
    const res = await call(refundPayment, refundEvent(merchantId, paymentId, { amount: 1 }));
    assert.equal(res.statusCode, 409, `${JSON.stringify(item).slice(0, 80)}: ${res.body}`);
    assert.equal(res.json.error.code, 'payment_not_refundable');
    assert.ok(res.json.error.message.includes(status));
    assert.ok(res.body.length < 1000);
    assert.equal((await refundRecords(paymentId)).length, 0);
    assert.deepEqual(await storedPayment(paymentId), { transactionId: paymentId, currency: 'EUR', createdAt: '2024-01-01T00:00:00.000Z', merchantId, ...item });
  }
});

test('a retry that takes over an abandoned refund with the same refund id applies it once', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);
  const first = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 30 }));
  assert.equal(first.statusCode, 201);
  // A second key whose first attempt "crashed" after the refund was written, holding the same refund id.
  const key = randomUUID();
  const requestHash = createHash('sha256').update(`{"amount":30,"paymentId":${JSON.stringify(payment.paymentId)}}`, 'utf8').digest('hex');
  await env.ddb.send(new PutCommand({
    TableName: env.tables.idempotency,
    Item: {
      idempotencyKey: `${merchantId}#refund-payment#${key}`, merchantId, operation: 'refund-payment', requestHash,
      status: 'IN_PROGRESS', resourceId: first.json.refundId, lockToken: 'dead', lockExpiresAt: 0,
      createdAt: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 3600,
    },
  }));
  const retry = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 30 }, key));
  assert.equal(retry.statusCode, 201, retry.body);
  assert.equal(retry.json.refundId, first.json.refundId);
  assert.equal(retry.json.createdAt, first.json.createdAt);
  assert.equal((await storedPayment(payment.paymentId)).refundedAmount, 30);
  assert.equal((await refundRecords(payment.paymentId)).length, 1);
});

test('a refund record can never be read or refunded as a payment', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);
  const refund = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 10 }));
  for (const id of [`refund#${refund.json.refundId}`, refund.json.refundId]) {
    const res = await call(refundPayment, refundEvent(merchantId, id, { amount: 1 }));
    assert.equal(res.statusCode, 404, id);
  }
});
