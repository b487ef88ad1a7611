// Refunds and DynamoDB's 400 KB item limit, part 1: a long refund history never grows the payment
// item. Split from refund-limits.test.mjs (the near-limit item) so that the two slowest handler
// tests each get their own moto_server and run side by side (`--test-concurrency`); moto copies
// every table on each transaction, so a long history would also slow every other refund test down.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  call, createPaymentEvent, importHandler, newMerchantId, refundEvent, useAwsStack,
} from './helpers.mjs';

let createPayment;
let refundPayment;

const env = useAwsStack(async () => {
  createPayment = (await importHandler('process-payment')).handler;
  refundPayment = (await importHandler('refund-payment')).handler;
});

async function newPayment(merchantId, amount) {
  const res = await call(createPayment, createPaymentEvent(merchantId, { amount, currency: 'EUR' }));
  assert.equal(res.statusCode, 201, res.body);
  return res.json;
}

async function storedPayment(paymentId) {
  const { Item } = await env.ddb.send(new GetCommand({ TableName: env.tables.transactions, Key: { transactionId: paymentId } }));
  return Item;
}

async function refundRecords(paymentId) {
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
const itemSize = (item) => Buffer.byteLength(JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v] : v)));

test('a long refund history leaves the payment item the same size; every refund is its own bounded record', async () => {
  const merchantId = newMerchantId();
  const payment = await newPayment(merchantId, 100000);
  const first = await call(refundPayment, refundEvent(merchantId, payment.paymentId, { amount: 1, reason: 'r'.repeat(256) }));
  assert.equal(first.statusCode, 201, first.body);
  const sizeAfterFirst = itemSize(await storedPayment(payment.paymentId));
  const count = 100;
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
