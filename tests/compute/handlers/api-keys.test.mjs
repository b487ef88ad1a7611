// authorizer + lib/api-keys.mjs against moto: rotated keys honoured for their grace period only,
// and only while their owner is active (records as tools/payments_tools/merchants.py writes them).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { importHandler, lambdaContext, putMerchant, useAwsStack } from './helpers.mjs';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod/GET/payments/pay_1';
const CURRENT_KEY = 'pk_live_current_0123456789abcdef';
const GRACE_KEY = 'pk_live_ingrace_0123456789abcdef';
const EXPIRED_KEY = 'pk_live_expired_0123456789abcdef';
const OWNER = 'm_rotating';
const sha256 = (key) => createHash('sha256').update(key, 'utf8').digest('hex');

let authorize;
let env;
async function putRetired(key, keyExpiresAt, owner = OWNER) {
  const apiKeyHash = sha256(key);
  await env.ddb.send(new PutCommand({
    TableName: env.tables.merchants,
    Item: { merchantId: `${owner}#retired#${apiKeyHash.slice(0, 16)}`, keyOf: owner, apiKeyHash, status: 'retired', keyExpiresAt },
  }));
}

useAwsStack(async (stack) => {
  env = stack;
  authorize = (await importHandler('authorizer')).handler;
  await putMerchant(env, { merchantId: OWNER, apiKey: CURRENT_KEY, status: 'active' });
  await putRetired(GRACE_KEY, new Date(Date.now() + 3_600_000).toISOString());
  await putRetired(EXPIRED_KEY, new Date(Date.now() - 1_000).toISOString());
});

const decide = async (key) => {
  const event = { type: 'REQUEST', methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${key}` }, requestContext: { requestId: 'r' } };
  const result = await authorize(event, lambdaContext());
  return { effect: result.policyDocument.Statement[0].Effect, principalId: result.principalId, context: result.context };
};

test('the current key is allowed as the merchant', async () => {
  assert.deepEqual(await decide(CURRENT_KEY), { effect: 'Allow', principalId: OWNER, context: { merchantId: OWNER } });
});

test('a rotated key in its grace period is allowed as its owner, never as the retired record', async () => {
  assert.deepEqual(await decide(GRACE_KEY), { effect: 'Allow', principalId: OWNER, context: { merchantId: OWNER } });
});

test('a rotated key past its grace period is denied', async () => {
  const decision = await decide(EXPIRED_KEY);
  assert.equal(decision.effect, 'Deny');
  assert.equal(decision.context, undefined);
});

test('a retired record whose expiry is not a date is denied (fails closed)', async () => {
  const key = 'pk_live_baddate_0123456789abcdef';
  await putRetired(key, 'tomorrow');
  assert.equal((await decide(key)).effect, 'Deny');
});

test('suspending the owner denies its keys in grace too', async () => {
  await putMerchant(env, { merchantId: 'm_suspended_owner', apiKey: 'pk_live_suspowner_0123456789abcdef', status: 'active' });
  const key = 'pk_live_suspgrace_0123456789abcdef';
  await putRetired(key, new Date(Date.now() + 3_600_000).toISOString(), 'm_suspended_owner');
  assert.equal((await decide(key)).effect, 'Allow');
  await env.ddb.send(new UpdateCommand({
    TableName: env.tables.merchants, Key: { merchantId: 'm_suspended_owner' },
    UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'suspended' },
  }));
  assert.equal((await decide(key)).effect, 'Deny');
});

test('a retired key whose owner was deleted is denied', async () => {
  const key = 'pk_live_orphaned_0123456789abcdef';
  await putRetired(key, new Date(Date.now() + 3_600_000).toISOString(), 'm_deleted');
  assert.deepEqual(await decide(key), { effect: 'Deny', principalId: 'anonymous', context: undefined });
});
