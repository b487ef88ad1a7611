// Refunds and DynamoDB's 400 KB item limit, part 1: a long refund history never grows the payment
// item. Split from refund-limits.test.mjs (the near-limit item) and from refunds.test.mjs: moto
// copies every table a transaction writes to, so a long history in a shared table would slow
// every other refund test down.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  call, createdPayment, importHandler, itemSize, newMerchantId, paymentItem, refundEvent, refundItems, useAwsStack,
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

test('a long refund history leaves the payment item the same size; every refund is its own bounded record', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100000);
  const first = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 1, reason: 'r'.repeat(256) }));
  assert.equal(first.statusCode, 201, first.body);
  const sizeAfterFirst = itemSize(await storedPayment(payment.paymentId));
  // 25 refunds prove the point as surely as 100 did, in a fifth of the time (each refund is six
  // requests, and moto copies the whole table on every TransactWriteItems): a refund kept inside
  // the payment item would add at least its 256-byte reason, over 6 KB for the 24 after the first,
  // where only refundedAmount's digits may change; and all 25 records are read back and summed.
  const count = 25;
  for (let i = 1; i < count; i += 1) {
    const res = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 1, reason: 'r'.repeat(256) }));
    assert.equal(res.statusCode, 201, res.body);
  }
  const item = await storedPayment(payment.paymentId);
  assert.equal(item.refundedAmount, count);
  assert.ok(itemSize(item) <= sizeAfterFirst + 8, `payment item grew from ${sizeAfterFirst} to ${itemSize(item)} bytes`); // only refundedAmount's digits
  const records = await refundRecords(payment.paymentId);
  assert.equal(records.length, count);
  assert.equal(records.reduce((sum, r) => sum + r.amount, 0), count);
  assert.ok(Math.max(...records.map(itemSize)) < 1024, 'a refund record is at most 1 KB');
});
