// Idempotency for POST operations, backed by IDEMPOTENCY_TABLE (hash key `idempotencyKey`,
// TTL attribute `expiresAt`).
//
// Record key: `${merchantId}#${operation}#${Idempotency-Key}`, so keys never collide across
// merchants or operations. The first request claims the key with a conditional PutItem
// (status IN_PROGRESS, a SHA-256 of the canonical request, a lock token and a pre-generated
// resource id); it then runs the operation and stores the response (status COMPLETED).
// - same key, same request, completed   -> the stored response is replayed (same id, same status)
// - same key, different request         -> 409 idempotency_key_reused
// - same key, first request still busy  -> 409 idempotency_request_in_progress
// - first attempt crashed or failed with an unexpected error (lock expired or released)
//                                        -> the retry takes the lock over and re-runs the operation
//                                           with the SAME resource id; operations are written so
//                                           that re-running with the same id cannot apply twice.

import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionalCheckFailed } from './dynamodb.mjs';
import { HttpError, requireEnv } from './http.mjs';

export const RECORD_TTL_SECONDS = 24 * 60 * 60;
const DEFAULT_LOCK_SECONDS = 30;
const LOCK_MARGIN_SECONDS = 5;
const CLAIM_ATTEMPTS = 3;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** JSON with object keys sorted at every level, so equal requests hash equally. */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function lockSeconds(context) {
  const remainingMs = typeof context?.getRemainingTimeInMillis === 'function'
    ? context.getRemainingTimeInMillis()
    : DEFAULT_LOCK_SECONDS * 1000;
  return Math.ceil(remainingMs / 1000) + LOCK_MARGIN_SECONDS;
}

const keyReused = () => new HttpError(409, 'idempotency_key_reused',
  'This Idempotency-Key was already used with a different request. Use a new key for a new request.');
const inProgress = () => new HttpError(409, 'idempotency_request_in_progress',
  'A request with this Idempotency-Key is still being processed. Retry later.');

/**
 * Runs `execute(resourceId)` at most once per (merchant, operation, key).
 * @param {object} args
 * @param {string} args.merchantId
 * @param {string} args.operation        e.g. `create-payment`, `refund-payment`
 * @param {string} args.key              the Idempotency-Key header value
 * @param {object} args.request          everything that identifies the request (hashed)
 * @param {() => string} args.newResourceId  id generator for the resource the operation creates
 * @param {(resourceId: string) => Promise<{statusCode: number, body: object}>} args.execute
 *        may throw HttpError: that 4xx response is stored and replayed like a success (unless `retryable`)
 * @param {(error: HttpError) => {statusCode: number, body: object}} args.renderError
 * @param {object} args.log
 * @param {object} [args.context]        the Lambda context (lock duration follows its remaining time)
 * @returns {Promise<{statusCode: number, body: string, replayed: boolean}>}
 */
export async function withIdempotency({
  merchantId, operation, key, request, newResourceId, execute, renderError, log, context,
}) {
  const table = requireEnv('IDEMPOTENCY_TABLE');
  const idempotencyKey = `${merchantId}#${operation}#${key}`;
  const requestHash = sha256Hex(canonicalJson(request));

  const claim = await claimKey({ table, idempotencyKey, merchantId, operation, requestHash, newResourceId, log, context });
  if (claim.replay) return { ...claim.replay, replayed: true };

  const { resourceId, lockToken } = claim;
  let result;
  try {
    result = await execute(resourceId);
  } catch (error) {
    if (!(error instanceof HttpError) || error.retryable) {
      await releaseLock({ table, idempotencyKey, lockToken, log });
      throw error;
    }
    result = renderError(error);
  }
  const body = JSON.stringify(result.body);
  await complete({ table, idempotencyKey, lockToken, statusCode: result.statusCode, body, log });
  return { statusCode: result.statusCode, body, replayed: false };
}

async function claimKey({ table, idempotencyKey, merchantId, operation, requestHash, newResourceId, log, context }) {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
    const now = nowSeconds();
    const record = {
      idempotencyKey,
      merchantId,
      operation,
      requestHash,
      status: 'IN_PROGRESS',
      resourceId: newResourceId(),
      lockToken: randomUUID(),
      lockExpiresAt: now + lockSeconds(context),
      createdAt: new Date(now * 1000).toISOString(),
      expiresAt: now + RECORD_TTL_SECONDS,
    };
    try {
      await ddb.send(new PutCommand({
        TableName: table,
        Item: record,
        // TTL deletion lags by up to days: an expired record counts as absent.
        ConditionExpression: 'attribute_not_exists(idempotencyKey) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now },
      }));
      return { resourceId: record.resourceId, lockToken: record.lockToken };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }

    const { Item: existing } = await ddb.send(new GetCommand({
      TableName: table, Key: { idempotencyKey }, ConsistentRead: true,
    }));
    if (!existing) continue; // expired and deleted in between: claim again
    if (existing.requestHash !== requestHash) {
      log.info('idempotency key reused with a different request', { operation });
      throw keyReused();
    }
    if (existing.status === 'COMPLETED') {
      log.info('idempotent replay', { operation, resourceId: existing.resourceId });
      return { replay: { statusCode: Number(existing.responseStatusCode), body: existing.responseBody } };
    }
    if (Number(existing.lockExpiresAt) > now) throw inProgress();

    // The previous attempt died or failed unexpectedly: take its lock over, keep its resource id.
    const lockToken = randomUUID();
    try {
      await ddb.send(new UpdateCommand({
        TableName: table,
        Key: { idempotencyKey },
        UpdateExpression: 'SET lockToken = :new, lockExpiresAt = :exp',
        ConditionExpression: 'lockToken = :old AND #status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':new': lockToken, ':exp': now + lockSeconds(context), ':old': existing.lockToken, ':inProgress': 'IN_PROGRESS',
        },
      }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw inProgress(); // another retry won the takeover
      throw error;
    }
    log.warn('took over an abandoned idempotent request', { operation, resourceId: existing.resourceId });
    return { resourceId: existing.resourceId, lockToken };
  }
  throw new Error('Could not claim the idempotency key');
}

async function complete({ table, idempotencyKey, lockToken, statusCode, body, log }) {
  try {
    await ddb.send(new UpdateCommand({
      TableName: table,
      Key: { idempotencyKey },
      UpdateExpression: 'SET #status = :completed, responseStatusCode = :code, responseBody = :body REMOVE lockExpiresAt',
      ConditionExpression: 'lockToken = :mine',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':completed': 'COMPLETED', ':code': statusCode, ':body': body, ':mine': lockToken },
    }));
  } catch (error) {
    // The operation itself succeeded; answering the caller matters more than the record.
    // A later retry re-runs the operation with the same resource id, which cannot apply twice.
    log.warn('could not record the idempotent response', { error });
  }
}

async function releaseLock({ table, idempotencyKey, lockToken, log }) {
  try {
    await ddb.send(new UpdateCommand({
      TableName: table,
      Key: { idempotencyKey },
      UpdateExpression: 'SET lockExpiresAt = :zero',
      ConditionExpression: 'lockToken = :mine',
      ExpressionAttributeValues: { ':zero': 0, ':mine': lockToken },
    }));
  } catch (error) {
    log.warn('could not release the idempotency lock', { error });
  }
}
