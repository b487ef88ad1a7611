// refund-payment against moto: partial then full, over-refund, concurrency, idempotency.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  call, createPaymentEvent, importHandler, newMerchantId, refundEvent, useAwsStack,
} from './helpers.mjs';

let createPayment;
let refundPayment;

const env = useAwsStack(async () => {
  createPayment = (await importHandler('process-payment')).handler;
  refundPayment = (await importHandler('refund-payment')).handler;
});

async function newPayment(merchantId, amount = 100) {
  const res = await call(createPayment, createPaymentEvent(merchantId, { amount, currency: 'EUR' }));
  assert.equal(res.statusCode, 201, res.body);
  return res.json;
}

async function storedPayment(paymentId) {
  const { Item } = await env.ddb.send(new GetCommand({ TableName: env.tables.transactions, Key: { transactionId: paymentId } }));
  return Item;
}

test('partial refund then full refund', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100);

  const partial = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 40, reason: 'damaged' }));
  assert.equal(partial.statusCode, 201, partial.body);
  assert.match(partial.json.refundId, /^ref_[0-9a-f]{32}$/);
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
  assert.equal(item.refunds.length, 2);
  assert.equal(item.refunds[0].reason, 'damaged');
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
  assert.equal(item.refundIds.size, 3);
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
