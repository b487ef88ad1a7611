// Refunds and DynamoDB's 400 KB item limit, part 2, against moto (which enforces the limit on
// PutItem and UpdateItem as DynamoDB does): a payment item near the limit can still be refunded.
// A file of its own: moto copies the whole table on each transaction, so a near-limit item would slow
// every other refund test down; the long refund history is refund-history.test.mjs, run alongside.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  call, importHandler, itemSize, newMerchantId, paymentItem, refundEvent, useAwsStack,
} from './helpers.mjs';

let refundPayment;

const env = useAwsStack(async () => {
  refundPayment = (await importHandler('refund-payment')).handler;
});

const storedPayment = (paymentId) => paymentItem(env, paymentId);

test('a payment item close to the 400 KB limit can still be refunded: nothing is appended to it', async () => {
  const merchantId = newMerchantId();
  // What the earlier design left behind: every refund appended to a list on the payment, here 13
  // refunds with very long reasons. Few, large entries reach the limit as surely as ~1,300 short
  // ones (nothing reads the list here: the item's size is the point), and moto's cost per
  // request grows with the number of attributes it copies and serialises, not their bytes: 130
  // entries of 2,950 characters cost moto ~0.8 CPU-s more than 13 of 30,000 here.
  const refunds = Array.from({ length: 13 }, (_, i) => ({
    refundId: `re_${String(i).padStart(32, '0')}`, amount: 100, createdAt: '2024-01-01T00:00:00.000Z', reason: 'r'.repeat(30_000),
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

