// process-payment and get-payment against moto: create -> get, validation, idempotency.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  apiEvent, call, captureStdout, createPaymentEvent, importHandler, newMerchantId, paymentEvent, useAwsStack,
} from './helpers.mjs';

let createPayment;
let getPayment;

const env = useAwsStack(async () => {
  createPayment = (await importHandler('process-payment')).handler;
  getPayment = (await importHandler('get-payment')).handler;
});

async function paymentsOf(merchantId) {
  const { Items } = await env.ddb.send(new ScanCommand({
    TableName: env.tables.transactions,
    FilterExpression: 'merchantId = :m',
    ExpressionAttributeValues: { ':m': merchantId },
  }));
  return Items;
}

function assertErrorShape(res, statusCode, code, fieldInMessage) {
  assert.equal(res.statusCode, statusCode, res.body);
  assert.equal(res.headers['Content-Type'], 'application/json');
  assert.equal(res.json.error.code, code);
  assert.equal(typeof res.json.error.message, 'string');
  assert.equal(typeof res.json.requestId, 'string');
  if (fieldInMessage) assert.match(res.json.error.message, new RegExp(fieldInMessage));
}

describe('create and get', () => {
  test('creates a payment (201) and reads it back (200)', async () => {
    const merchantId = newMerchantId();
    const created = await call(createPayment, createPaymentEvent(merchantId, { amount: 1050, currency: 'EUR', description: 'order 42' }));
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.headers['Content-Type'], 'application/json');
    const payment = created.json;
    assert.match(payment.paymentId, /^pay_[0-9a-f]{32}$/);
    assert.deepEqual(
      { ...payment, paymentId: undefined, createdAt: undefined },
      { paymentId: undefined, merchantId, amount: 1050, currency: 'EUR', status: 'succeeded', refundedAmount: 0, createdAt: undefined, description: 'order 42' },
    );
    assert.match(payment.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const { Item } = await env.ddb.send(new GetCommand({ TableName: env.tables.transactions, Key: { transactionId: payment.paymentId } }));
    assert.equal(Item.merchantId, merchantId);
    assert.equal(Item.refundedAmount, 0);
    assert.equal(Item.status, 'succeeded');

    const fetched = await call(getPayment, paymentEvent(merchantId, payment.paymentId));
    assert.equal(fetched.statusCode, 200);
    assert.deepEqual(fetched.json, payment);
  });

  test('description is optional and omitted when absent', async () => {
    const res = await call(createPayment, createPaymentEvent(newMerchantId(), { amount: 1, currency: 'JPY' }));
    assert.equal(res.statusCode, 201, res.body);
    assert.equal('description' in res.json, false);
  });

  test('unknown payment id is 404 payment_not_found', async () => {
    const res = await call(getPayment, paymentEvent(newMerchantId(), 'pay_doesnotexist'));
    assertErrorShape(res, 404, 'payment_not_found');
  });

  test('merchant comes from the authorizer context; missing context fails closed with 401', async () => {
    const event = createPaymentEvent(undefined, { amount: 100, currency: 'EUR' });
    const res = await call(createPayment, event);
    assertErrorShape(res, 401, 'unauthorized');
  });
});

describe('validation', () => {
  const merchantId = 'm_validation';
  const cases = [
    ['amount 0', { amount: 0, currency: 'EUR' }, 'invalid_field', 'amount'],
    ['negative amount', { amount: -5, currency: 'EUR' }, 'invalid_field', 'amount'],
    ['float amount', { amount: 10.5, currency: 'EUR' }, 'invalid_field', 'amount'],
    ['string amount', { amount: '100', currency: 'EUR' }, 'invalid_field', 'amount'],
    ['amount above maximum', { amount: 100000000000, currency: 'EUR' }, 'invalid_field', 'amount'],
    ['missing amount', { currency: 'EUR' }, 'missing_field', 'amount'],
    ['lowercase currency', { amount: 100, currency: 'eur' }, 'invalid_field', 'currency'],
    ['unknown currency', { amount: 100, currency: 'ABC' }, 'invalid_field', 'currency'],
    ['missing currency', { amount: 100 }, 'missing_field', 'currency'],
    ['description too long', { amount: 100, currency: 'EUR', description: 'x'.repeat(257) }, 'invalid_field', 'description'],
    ['description not a string', { amount: 100, currency: 'EUR', description: 5 }, 'invalid_field', 'description'],
    ['unknown field', { amount: 100, currency: 'EUR', merchantId: 'm_other' }, 'unknown_field', 'merchantId'],
  ];
  for (const [name, body, code, field] of cases) {
    test(`rejects ${name} with 400 ${code}`, async () => {
      const res = await call(createPayment, createPaymentEvent(merchantId, body));
      assertErrorShape(res, 400, code, field);
    });
  }

  test('rejects a missing Idempotency-Key header', async () => {
    const event = apiEvent({ method: 'POST', resource: '/payments', headers: {}, body: { amount: 100, currency: 'EUR' }, merchantId });
    assertErrorShape(await call(createPayment, event), 400, 'missing_idempotency_key', 'Idempotency-Key');
  });

  test('rejects an empty, short (under 8, the contract minimum) or over-long Idempotency-Key header', async () => {
    for (const key of ['', 'k'.repeat(7), 'k'.repeat(256)]) {
      const res = await call(createPayment, createPaymentEvent(merchantId, { amount: 100, currency: 'EUR' }, key));
      assertErrorShape(res, 400, 'invalid_idempotency_key', 'Idempotency-Key');
    }
  });

  test('accepts a 255-character key and a lower-case header name', async () => {
    const event = apiEvent({
      method: 'POST', resource: '/payments', headers: { 'idempotency-key': 'k'.repeat(255) }, body: { amount: 100, currency: 'EUR' }, merchantId,
    });
    assert.equal((await call(createPayment, event)).statusCode, 201);
  });

  test('rejects malformed JSON and non-object bodies', async () => {
    for (const [body, code] of [['{not json', 'invalid_json'], ['[1,2]', 'invalid_body'], ['null', 'invalid_body']]) {
      const res = await call(createPayment, createPaymentEvent(merchantId, body));
      assertErrorShape(res, 400, code);
    }
  });

  test('nothing is stored for rejected requests', async () => {
    const merchant = newMerchantId();
    await call(createPayment, createPaymentEvent(merchant, { amount: 0, currency: 'EUR' }));
    assert.equal((await paymentsOf(merchant)).length, 0);
  });
});

describe('idempotency', () => {
  test('a retry with the same key and body returns the first response', async () => {
    const merchantId = newMerchantId();
    const key = randomUUID();
    const body = { amount: 2500, currency: 'GBP', description: 'retry me' };
    const first = await call(createPayment, createPaymentEvent(merchantId, body, key));
    // Same body with keys in another order: same canonical request.
    const second = await call(createPayment, createPaymentEvent(merchantId, { description: 'retry me', currency: 'GBP', amount: 2500 }, key));
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 201);
    assert.deepEqual(second.json, first.json);
    assert.equal(second.headers['Idempotent-Replayed'], 'true');
    assert.equal((await paymentsOf(merchantId)).length, 1);

    const { Item } = await env.ddb.send(new GetCommand({
      TableName: env.tables.idempotency, Key: { idempotencyKey: `${merchantId}#create-payment#${key}` },
    }));
    assert.equal(Item.status, 'COMPLETED');
    assert.match(Item.requestHash, /^[0-9a-f]{64}$/);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Item.expiresAt > now + 24 * 3600 - 120 && Item.expiresAt <= now + 24 * 3600, `expiresAt ${Item.expiresAt}`);
  });

  test('the same key with a different body is 409 idempotency_key_reused', async () => {
    const merchantId = newMerchantId();
    const key = randomUUID();
    assert.equal((await call(createPayment, createPaymentEvent(merchantId, { amount: 100, currency: 'EUR' }, key))).statusCode, 201);
    const res = await call(createPayment, createPaymentEvent(merchantId, { amount: 101, currency: 'EUR' }, key));
    assertErrorShape(res, 409, 'idempotency_key_reused');
    assert.equal((await paymentsOf(merchantId)).length, 1);
  });

  test('keys are scoped per merchant', async () => {
    const key = randomUUID();
    const a = await call(createPayment, createPaymentEvent(newMerchantId(), { amount: 100, currency: 'EUR' }, key));
    const b = await call(createPayment, createPaymentEvent(newMerchantId(), { amount: 100, currency: 'EUR' }, key));
    assert.equal(a.statusCode, 201);
    assert.equal(b.statusCode, 201);
    assert.notEqual(a.json.paymentId, b.json.paymentId);
  });

  test('concurrent creates with the same key produce exactly one payment', async () => {
    const merchantId = newMerchantId();
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => call(createPayment, createPaymentEvent(merchantId, { amount: 700, currency: 'USD' }, key))));
    const created = results.filter((r) => r.statusCode === 201);
    const conflicts = results.filter((r) => r.statusCode === 409);
    assert.ok(created.length >= 1, 'at least one create succeeds');
    assert.equal(created.length + conflicts.length, results.length, results.map((r) => r.statusCode).join(','));
    for (const r of conflicts) assert.equal(r.json.error.code, 'idempotency_request_in_progress');
    assert.equal(new Set(created.map((r) => r.json.paymentId)).size, 1);
    const stored = await paymentsOf(merchantId);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].transactionId, created[0].json.paymentId);
  });
});

test('card data and the Idempotency-Key never reach the logs, even at debug level', async () => {
  const saved = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'debug';
  try {
    const event = createPaymentEvent(newMerchantId(), { amount: 100, currency: 'EUR', description: 'card 4242424242424242 cvv 123' }, 'idem-key-visible-nowhere');
    event.headers.Authorization = 'Bearer sk_live_should_not_appear';
    const { result, output } = await captureStdout(() => call(createPayment, event));
    assert.equal(result.statusCode, 400, result.body); // and the card number is refused, not stored
    assert.equal(result.json.error.code, 'card_number_not_allowed');
    assert.equal(result.body.includes('4242424242424242'), false);
    assert.ok(output.includes('"level":"debug"'), 'debug lines were written');
    for (const secret of ['4242424242424242', 'sk_live_should_not_appear', 'idem-key-visible-nowhere']) {
      assert.equal(output.includes(secret), false, `log contains ${secret}`);
    }
  } finally {
    process.env.LOG_LEVEL = saved;
  }
});
