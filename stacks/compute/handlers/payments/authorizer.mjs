// API Gateway REQUEST authorizer. Identity source: the `Authorization` header, `Bearer <apiKey>`
// (scheme in any case).
// The key is hashed (SHA-256, hex) and looked up on MERCHANTS_TABLE's `byApiKeyHash` index; only
// a merchant whose `status` is `active` is allowed, with its current key or a rotated one still in
// its grace period (lib/api-keys.mjs). The key itself is never logged or stored.
//
// API Gateway caches the result per identity source across all methods, so an Allow covers the
// whole API (`<api>/<stage>/*/*`), not only the method of the first request. Outcomes:
//   malformed methodArn          -> Deny (nothing is allowed on an ARN we cannot parse)
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
// RFC 9110 §11.1: the authentication scheme is case-insensitive (`bearer` is `Bearer`); one or
// more spaces separate it from the token.
const BEARER = /^bearer +([A-Za-z0-9._~+/=-]{16,256})$/i;

// `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<verb>/<resource path>`; every
// part concrete (no `*`, nothing missing), as API Gateway always sends it.
const METHOD_ARN = new RegExp(
  '^arn:(aws|aws-cn|aws-us-gov):execute-api:([a-z]{2}(?:-[a-z]+)+-[0-9]):([0-9]{12}):'
  + '([a-z0-9]{10})/([A-Za-z0-9_-]{1,128})/([A-Z]+)/.*$',
);

/**
 * The API-wide resource `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/*\/*` built
 * from the parsed parts of a concrete methodArn, or undefined when the ARN is not one.
 */
export function apiWideResource(methodArn) {
  const match = typeof methodArn === 'string' ? METHOD_ARN.exec(methodArn) : null;
  if (!match) return undefined;
  const [, partition, region, account, apiId, stage] = match;
  return `arn:${partition}:execute-api:${region}:${account}:${apiId}/${stage}/*/*`;
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
  if (resource === undefined) {
    log.warn('methodArn is not a concrete execute-api method ARN; denying');
    return policy('anonymous', 'Deny', '*');
  }

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
