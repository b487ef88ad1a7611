// API Gateway REQUEST authorizer. Identity source: the `Authorization` header, `Bearer <apiKey>`.
// The key is hashed (SHA-256, hex) and looked up on MERCHANTS_TABLE's `byApiKeyHash` index; only
// a merchant whose `status` is `active` is allowed, with its current key or a rotated one still in
// its grace period (lib/api-keys.mjs). The key itself is never logged or stored.
//
// API Gateway caches the result per identity source across all methods, so an Allow covers the
// whole API (`<api>/<stage>/*/*`), not only the method of the first request. Outcomes:
//   missing or malformed header  -> throw 'Unauthorized' (API Gateway answers 401)
//   unknown key / inactive       -> Deny policy            (API Gateway answers 403)
//   active merchant              -> Allow, principalId and context.merchantId = merchantId
//   lookup failure               -> thrown error (API Gateway answers 500; never an Allow)

import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keyHolder } from './lib/api-keys.mjs';
import { ddb } from './lib/dynamodb.mjs';
import { getHeader, requestIdOf, requireEnv } from './lib/http.mjs';
import { createLogger } from './lib/log.mjs';

export const API_KEY_INDEX = 'byApiKeyHash';
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,256})$/;

/** `arn:aws:execute-api:<region>:<acct>:<apiId>/<stage>/<verb>/<path>` -> `.../<apiId>/<stage>/*\/*`. */
export function apiWideResource(methodArn) {
  const parts = String(methodArn || '').split('/');
  if (parts.length < 2 || !parts[0].startsWith('arn:') || !parts[1]) {
    throw new Error('Malformed methodArn');
  }
  return `${parts[0]}/${parts[1]}/*/*`;
}

function policy(principalId, effect, resource, context) {
  const result = {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
  };
  if (context) result.context = context;
  return result;
}

export async function handler(event, context) {
  const log = createLogger({ functionName: 'authorizer', requestId: requestIdOf(event, context) });
  try {
    return await authorize(event, log);
  } catch (error) {
    if (error instanceof Error && error.message === 'Unauthorized') throw error;
    log.error('authorizer failed; request refused', { error });
    throw new Error('Authorizer error'); // API Gateway answers 500; internals stay in the log
  }
}

async function authorize(event, log) {
  const resource = apiWideResource(event?.methodArn);

  const header = getHeader(event, 'Authorization');
  const match = header === undefined ? null : BEARER.exec(header.trim());
  if (!match) {
    log.info('authorization header missing or malformed', { present: header !== undefined });
    throw new Error('Unauthorized');
  }
  const apiKeyHash = createHash('sha256').update(match[1], 'utf8').digest('hex');

  const { Items = [] } = await ddb.send(new QueryCommand({
    TableName: requireEnv('MERCHANTS_TABLE'),
    IndexName: API_KEY_INDEX,
    KeyConditionExpression: 'apiKeyHash = :h',
    ExpressionAttributeValues: { ':h': apiKeyHash },
    Limit: 2,
  }));
  if (Items.length !== 1) {
    if (Items.length > 1) log.error('api key hash maps to more than one merchant; denying');
    else log.info('unknown api key; denying');
    return policy('anonymous', 'Deny', resource);
  }
  const { merchantId, allowed, reason } = await keyHolder(requireEnv('MERCHANTS_TABLE'), Items[0].merchantId, apiKeyHash);
  if (!allowed) {
    log.info('key or merchant not active; denying', { merchantId, reason });
    return policy(merchantId, 'Deny', resource);
  }
  log.info('merchant authorized', { merchantId });
  return policy(merchantId, 'Allow', resource, { merchantId });
}
