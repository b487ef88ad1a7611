// lib/idempotency.mjs against moto: which failures become the stored answer of a key and which
// leave the key free for a retry. Unit level, so it imports the module from the source.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '../../../stacks/compute/handlers/payments/lib/log.mjs';
import { useAwsStack } from './helpers.mjs';

let idempotency;
let http;
const env = useAwsStack(async () => {
  idempotency = await import('../../../stacks/compute/handlers/payments/lib/idempotency.mjs');
  http = await import('../../../stacks/compute/handlers/payments/lib/http.mjs');
});

const log = createLogger({ functionName: 'test', sink: () => {} });

function run(key, execute) {
  return idempotency.withIdempotency({
    merchantId: 'm_idem',
    operation: 'refund-payment',
    key,
    request: { amount: 1 },
    newResourceId: () => `ref_${randomUUID().replace(/-/g, '')}`,
    execute,
    renderError: (error) => ({ statusCode: error.statusCode, body: { error: { code: error.code } } }),
    log,
  });
}

test('a retryable 4xx (refund contention) is not stored: the same key runs again, with the same resource id', async () => {
  const key = randomUUID();
  const seen = [];
  await assert.rejects(run(key, async (id) => {
    seen.push(id);
    throw new http.HttpError(409, 'refund_contention', 'retry', { retryable: true });
  }), (error) => error.code === 'refund_contention');
  const retry = await run(key, async (id) => {
    seen.push(id);
    return { statusCode: 201, body: { id } };
  });
  assert.equal(retry.statusCode, 201);
  assert.equal(seen.length, 2);
  assert.equal(seen[0], seen[1]); // a re-run uses the same refund id, so it cannot apply twice
  const { Item } = await env.ddb.send(new GetCommand({ TableName: env.tables.idempotency, Key: { idempotencyKey: `m_idem#refund-payment#${key}` } }));
  assert.equal(Item.status, 'COMPLETED');
});

test('a final 4xx is the stored answer of its key', async () => {
  const key = randomUUID();
  const first = await run(key, async () => { throw new http.HttpError(422, 'refund_exceeds_remaining', 'no'); });
  const again = await run(key, async () => ({ statusCode: 201, body: {} }));
  assert.deepEqual([first.statusCode, again.statusCode, again.replayed], [422, 422, true]);
});
