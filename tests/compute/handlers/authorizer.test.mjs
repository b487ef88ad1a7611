// authorizer against moto: Query on the merchants table's byApiKeyHash index.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureStdout, importHandler, lambdaContext, putMerchant, useAwsStack } from './helpers.mjs';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod/GET/payments/pay_1';
const API_WIDE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod/*/*';
const ACTIVE_KEY = 'sk_live_active_0123456789abcdef';
const SUSPENDED_KEY = 'sk_live_suspended_0123456789abcdef';

let authorize;
useAwsStack(async (env) => {
  authorize = (await importHandler('authorizer')).handler;
  await putMerchant(env, { merchantId: 'merchant_active', apiKey: ACTIVE_KEY, status: 'active' });
  await putMerchant(env, { merchantId: 'merchant_suspended', apiKey: SUSPENDED_KEY, status: 'suspended' });
});

function requestEvent(headers, methodArn = METHOD_ARN) {
  return {
    type: 'REQUEST',
    methodArn,
    resource: '/payments/{paymentId}',
    path: '/payments/pay_1',
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: { requestId: 'req-auth-1', stage: 'prod' },
  };
}

function assertPolicy(result, effect, principalId) {
  assert.equal(result.principalId, principalId);
  assert.deepEqual(result.policyDocument, {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: API_WIDE }],
  });
}

test('allows an active merchant on the whole API, with context.merchantId', async () => {
  const result = await authorize(requestEvent({ Authorization: `Bearer ${ACTIVE_KEY}` }), lambdaContext());
  assertPolicy(result, 'Allow', 'merchant_active');
  assert.deepEqual(result.context, { merchantId: 'merchant_active' });
});

test('header name is case-insensitive', async () => {
  const result = await authorize(requestEvent({ authorization: `Bearer ${ACTIVE_KEY}` }), lambdaContext());
  assert.equal(result.policyDocument.Statement[0].Effect, 'Allow');
});

test('denies an unknown key', async () => {
  const result = await authorize(requestEvent({ Authorization: 'Bearer sk_live_unknown_0123456789abcdef' }), lambdaContext());
  assert.equal(result.policyDocument.Statement[0].Effect, 'Deny');
  assert.equal(result.context, undefined);
});

test('denies a suspended merchant', async () => {
  const result = await authorize(requestEvent({ Authorization: `Bearer ${SUSPENDED_KEY}` }), lambdaContext());
  assertPolicy(result, 'Deny', 'merchant_suspended');
  assert.equal(result.context, undefined);
});

test('missing or malformed Authorization header -> Unauthorized (401)', async () => {
  for (const headers of [{}, { Authorization: ACTIVE_KEY }, { Authorization: 'Basic abc' }, { Authorization: 'Bearer ' }, { Authorization: 'Bearer short' }]) {
    await assert.rejects(authorize(requestEvent(headers), lambdaContext()), { message: 'Unauthorized' });
  }
});

test('never logs the API key, even at debug level', async () => {
  const saved = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'debug';
  try {
    const { output } = await captureStdout(async () => {
      await authorize(requestEvent({ Authorization: `Bearer ${ACTIVE_KEY}` }), lambdaContext());
      await authorize(requestEvent({ Authorization: 'Bearer sk_live_unknown_0123456789abcdef' }), lambdaContext());
      await authorize(requestEvent({ Authorization: `Bearer ${SUSPENDED_KEY}` }), lambdaContext());
    });
    assert.ok(output.length > 0, 'the authorizer logged its decisions');
    for (const line of output.trim().split('\n')) {
      const entry = JSON.parse(line);
      assert.equal(entry.function, 'authorizer');
      assert.equal(entry.requestId, 'req-auth-1');
    }
    assert.equal(output.includes('0123456789abcdef'), false, output);
    assert.equal(output.includes('Bearer'), false, output);
  } finally {
    process.env.LOG_LEVEL = saved;
  }
});

test('a lookup failure is an error, never an Allow, and hides internals', async () => {
  const saved = process.env.MERCHANTS_TABLE;
  process.env.MERCHANTS_TABLE = 'payments-merchants-missing';
  try {
    const { output } = await captureStdout(async () => {
      await assert.rejects(authorize(requestEvent({ Authorization: `Bearer ${ACTIVE_KEY}` }), lambdaContext()), (error) => {
        assert.equal(error.message, 'Authorizer error');
        return true;
      });
    });
    assert.match(output, /ResourceNotFoundException/); // internals go to the log only
  } finally {
    process.env.MERCHANTS_TABLE = saved;
  }
});

test('the Authorization scheme is case-insensitive and may be followed by several spaces (RFC 9110)', async () => {
  for (const header of [`bearer ${ACTIVE_KEY}`, `BEARER ${ACTIVE_KEY}`, `BeArEr   ${ACTIVE_KEY}`]) {
    const result = await authorize(requestEvent({ Authorization: header }), lambdaContext());
    assertPolicy(result, 'Allow', 'merchant_active');
  }
  for (const header of [`Basic ${ACTIVE_KEY}`, `Bearer${ACTIVE_KEY}`, `xbearer ${ACTIVE_KEY}`]) {
    await assert.rejects(authorize(requestEvent({ Authorization: header }), lambdaContext()), /Unauthorized/);
  }
});

test('a methodArn that is not concrete is denied, never allowed on a wildcard', async () => {
  const valid = 'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod/GET/payments/pay_1';
  for (const methodArn of [
    null,
    '',
    'not-an-arn',
    'arn:aws:execute-api:*:123456789012:abc123def4/prod/GET/payments',
    'arn:aws:execute-api:eu-west-1:*:abc123def4/prod/GET/payments',
    'arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/payments',
    'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/*/GET/payments',
    'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod',
    'arn:aws:execute-api::123456789012:abc123def4/prod/GET/payments',
    'arn:aws:execute-api:eu-west-1:12345678901:abc123def4/prod/GET/payments',
    'arn:aws:s3:eu-west-1:123456789012:abc123def4/prod/GET/payments',
    `${valid}\n`,
    `${valid.replace('abc123def4', 'abc123def4/x')}`.replace('/prod/', '/*/'),
  ]) {
    const result = await authorize(requestEvent({ Authorization: `Bearer ${ACTIVE_KEY}` }, methodArn), lambdaContext());
    assert.deepEqual(result.policyDocument.Statement, [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: '*' }], String(methodArn));
    assert.equal(result.context, undefined);
  }
});

test('the Allow resource is rebuilt from the parsed parts only', async () => {
  const result = await authorize(requestEvent(
    { Authorization: `Bearer ${ACTIVE_KEY}` },
    'arn:aws-cn:execute-api:cn-north-1:210987654321:zyx987wvu6/live_2/POST/payments/x/refunds',
  ), lambdaContext());
  assert.equal(result.policyDocument.Statement[0].Resource, 'arn:aws-cn:execute-api:cn-north-1:210987654321:zyx987wvu6/live_2/*/*');
});
