// Request bodies against moto: money checked in the request text, duplicated keys, bounded
// echoes, card numbers refused in every free-text field and never stored.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  call, createPaymentEvent, importHandler, newMerchantId, refundEvent, useAwsStack,
} from './helpers.mjs';

let createPayment;
let refundPayment;
const env = useAwsStack(async () => {
  createPayment = (await importHandler('process-payment')).handler;
  refundPayment = (await importHandler('refund-payment')).handler;
});

const rawCreate = (merchantId, text) => createPaymentEvent(merchantId, text);

async function scanAll(table) {
  const { Items } = await env.ddb.send(new ScanCommand({ TableName: table }));
  return Items;
}

test('an amount JSON.parse would round is refused in the request text, not accepted as another amount', async () => {
  const merchantId = newMerchantId();
  for (const amount of ['4.9999999999999999', '1.00000000000000001', '1.0', '100.00', '1e3', '1E3', '1.5e2', '12345678901234567890', '-0', '0.0']) {
    const res = await call(createPayment, rawCreate(merchantId, `{"amount":${amount},"currency":"EUR"}`));
    assert.equal(res.statusCode, 400, `${amount}: ${res.body}`);
    assert.equal(res.json.error.code, 'invalid_field', amount);
    assert.match(res.json.error.message, /'amount'/);
  }
  for (const [amount, why] of [['0', 'zero'], ['-5', 'negative'], ['100000000000', 'above the maximum']]) {
    const res = await call(createPayment, rawCreate(merchantId, `{"amount":${amount},"currency":"EUR"}`));
    assert.equal(res.statusCode, 400, why);
    assert.match(res.json.error.message, /between 1 and 99999999999/, why);
  }
  const refunds = await call(refundPayment, refundEvent(merchantId, 'pay_x', '{"amount":4.9999999999999999}'));
  assert.equal(refunds.statusCode, 400);
  assert.equal(refunds.json.error.code, 'invalid_field');
  assert.equal((await scanAll(env.tables.transactions)).filter((i) => i.merchantId === merchantId).length, 0);
});

test('integer amounts written exactly are accepted, up to the maximum', async () => {
  const merchantId = newMerchantId();
  for (const amount of [1, 1050, 99999999999]) {
    const res = await call(createPayment, rawCreate(merchantId, `{ "amount" : ${amount} , "currency":"EUR"}`));
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json.amount, amount);
  }
});

test('a duplicated key is refused, whichever value comes first, at any depth and however escaped', async () => {
  const merchantId = newMerchantId();
  for (const body of [
    '{"amount":1,"amount":250000,"currency":"EUR"}',
    '{"amount":250000,"currency":"EUR","amount":1}',
    '{"amount":1,"\\u0061mount":250000,"currency":"EUR"}',
    '{"amount":1,"currency":"EUR","currency":"USD"}',
  ]) {
    const res = await call(createPayment, rawCreate(merchantId, body));
    assert.equal(res.statusCode, 400, body);
    assert.equal(res.json.error.code, 'duplicate_field', body);
    assert.match(res.json.error.message, /'(amount|currency)' appears more than once/);
  }
  // The same name in different objects, or inside a string, is not a duplicate.
  const nested = await call(createPayment, rawCreate(merchantId, '{"amount":5,"currency":"EUR","description":"{\\"amount\\":1,\\"amount\\":2}"}'));
  assert.equal(nested.statusCode, 201, nested.body);
  const refund = await call(refundPayment, refundEvent(merchantId, nested.json.paymentId, '{"amount":1,"reason":"a","amount":2}'));
  assert.equal(refund.statusCode, 400);
  assert.equal(refund.json.error.code, 'duplicate_field');
});

test('error messages quote client input only up to a bound', async () => {
  const merchantId = newMerchantId();
  const longName = 'x'.repeat(100_000);
  for (const body of [`{"amount":1,"currency":"EUR","${longName}":1}`, `{"${longName}":1,"${longName}":2}`]) {
    const res = await call(createPayment, rawCreate(merchantId, body));
    assert.equal(res.statusCode, 400);
    assert.ok(res.body.length < 1000, `error body is ${res.body.length} bytes`);
    assert.match(res.json.error.message, /x{64}\.\.\. \(100000 characters\)/);
  }
});

test('a card number in any free-text field is refused with 400 and stored nowhere', async () => {
  const merchantId = newMerchantId();
  const pans = ['4242424242424242', '4242 4242 4242 4242', '4242-4242-4242-4242', '378282246310005', '6011111111111117',
    '4222222222222', '6304000000000000018', 'order 4111111111111111 123', 'card:5555555555554444.'];
  for (const pan of pans) {
    const res = await call(createPayment, rawCreate(merchantId, JSON.stringify({ amount: 100, currency: 'EUR', description: pan })));
    assert.equal(res.statusCode, 400, pan);
    assert.equal(res.json.error.code, 'card_number_not_allowed', pan);
    assert.match(res.json.error.message, /'description'/);
    assert.equal(res.body.includes(pan), false);
  }
  const payment = await call(createPayment, rawCreate(merchantId, '{"amount":100,"currency":"EUR"}'));
  const refund = await call(refundPayment, refundEvent(merchantId, payment.json.paymentId, { amount: 1, reason: 'refund to 4242 4242 4242 4242' }));
  assert.equal(refund.statusCode, 400);
  assert.equal(refund.json.error.code, 'card_number_not_allowed');
  assert.match(refund.json.error.message, /'reason'/);

  const stored = JSON.stringify([...await scanAll(env.tables.transactions), ...await scanAll(env.tables.idempotency)]);
  for (const digits of ['4242424242424242', '378282246310005', '4111111111111111', '5555555555554444']) {
    assert.equal(stored.includes(digits), false, `${digits} is at rest`);
  }
});

test('numbers that are not card numbers stay allowed in free text', async () => {
  const merchantId = newMerchantId();
  for (const description of ['order 4242424242424241', 'invoice 2026-11-30 #12345', 'ref 12345678901234567890123', 'tel +44 20 7946 0958']) {
    const res = await call(createPayment, createPaymentEvent(merchantId, { amount: 100, currency: 'EUR', description }, randomUUID()));
    assert.equal(res.statusCode, 201, `${description}: ${res.body}`);
    assert.equal(res.json.description, description);
  }
});

test('odd but well-formed JSON is a 400 naming the problem, never a 500', async () => {
  const merchantId = newMerchantId();
  const deep = `{"amount":1,"currency":"EUR","description":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
  const nested = await call(createPayment, rawCreate(merchantId, deep));
  assert.equal(nested.statusCode, 400, nested.body.slice(0, 200));
  assert.equal(nested.json.error.code, 'invalid_json');
  for (const [body, field] of [
    ['{"amount":1,"currency":"EUR","description":"\\ud800 lone surrogate"}', 'description'],
    ['{"amount":1,"currency":"EUR","description":"ok \\udfff"}', 'description'],
  ]) {
    const res = await call(createPayment, rawCreate(merchantId, body));
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.json.error.message, new RegExp(`'${field}' must be valid Unicode text`));
  }
  const payment = await call(createPayment, rawCreate(merchantId, '{"amount":100,"currency":"EUR"}'));
  const refund = await call(refundPayment, refundEvent(merchantId, payment.json.paymentId, '{"amount":1,"reason":"\\ud83d"}'));
  assert.equal(refund.statusCode, 400, refund.body);
  const emoji = await call(createPayment, rawCreate(merchantId, '{"amount":1,"currency":"EUR","description":"\\ud83d\\ude00 thanks"}'));
  assert.equal(emoji.statusCode, 201, emoji.body); // a proper surrogate pair is fine
});
