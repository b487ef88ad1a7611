// Refunds and DynamoDB's 400 KB item limit, against moto (which enforces the limit on PutItem and
// UpdateItem as DynamoDB does). A file of its own: moto copies every table on each transaction, so
// a near-limit item would slow every other refund test down.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
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

test('a payment item close to the 400 KB limit can still be refunded: nothing is appended to it', async () => {
  const merchantId = newMerchantId();
  // What the earlier design left behind after ~1,300 refunds: a list and a set on the payment.
  const refunds = Array.from({ length: 1300 }, (_, i) => ({
    refundId: `re_${String(i).padStart(32, '0')}`, amount: 1, createdAt: '2024-01-01T00:00:00.000Z', reason: 'r'.repeat(200),
  }));
  const legacy = { merchantId, amount: 100000, refundedAmount: 1300, status: 'partially_refunded', refunds };
  const paymentId = `pay_${randomUUID().replace(/-/g, '')}`;
  await env.ddb.send(new PutCommand({
    TableName: env.tables.transactions,
    Item: { transactionId: paymentId, currency: 'EUR', createdAt: '2024-01-01T00:00:00.000Z', ...legacy },
  }));
  const before = itemSize(await storedPayment(paymentId));
  assert.ok(before > 390_000, `legacy item is only ${before} bytes`); // and moto, like DynamoDB, refuses more than ~400 KB

  for (let i = 0; i < 3; i += 1) {
    const res = await call(refundPayment, refundEvent(merchantId, paymentId, { amount: 10, reason: 'r'.repeat(256) }));
    assert.equal(res.statusCode, 201, res.body);
  }
  const after = await storedPayment(paymentId);
  assert.equal(after.refundedAmount, 1330);
  assert.ok(itemSize(after) - before < 100, `payment item grew by ${itemSize(after) - before} bytes`);
});

