// The merchants table's key records, as `make merchant-*` (tools/payments_tools/merchants.py)
// writes them and the authorizer reads them:
//   merchant record     { merchantId, name, status: active|suspended, apiKeyHash, apiKeyPrefix, ... }
//   retired-key record  { merchantId: '<owner>#retired#<hash prefix>', keyOf: <owner>, apiKeyHash,
//                         apiKeyPrefix, status: 'retired', keyExpiresAt: ISO-8601 }
// A rotated key keeps working until its `keyExpiresAt` (the grace period), as long as its owner is
// active. The byApiKeyHash index projects only `status` (the dev schema, kept as is), so the index
// hit is re-read from the base table with a consistent read: that read sees the expiry, and a
// suspension or rotation the index has not caught up with yet.

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './dynamodb.mjs';

async function getRecord(table, merchantId) {
  const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: { merchantId }, ConsistentRead: true }));
  return Item;
}

/**
 * Who holds the key whose index hit is `hitMerchantId`: `{ merchantId, allowed, reason }`.
 * `merchantId` is the owning merchant (never a retired-key record's id); `allowed` is true only for
 * a current or unexpired retired key of an active merchant.
 */
export async function keyHolder(table, hitMerchantId, apiKeyHash, now = Date.now()) {
  const record = await getRecord(table, hitMerchantId);
  if (!record || record.apiKeyHash !== apiKeyHash) return { merchantId: 'anonymous', allowed: false, reason: 'key no longer current' };
  if (record.keyOf === undefined) {
    return { merchantId: record.merchantId, allowed: record.status === 'active', reason: `merchant ${record.status}` };
  }
  const expiresAt = Date.parse(record.keyExpiresAt);
  if (!(now < expiresAt)) return { merchantId: String(record.keyOf), allowed: false, reason: 'rotated key past its grace period' };
  const owner = await getRecord(table, String(record.keyOf));
  if (!owner) return { merchantId: 'anonymous', allowed: false, reason: 'owner of rotated key not found' };
  return { merchantId: owner.merchantId, allowed: owner.status === 'active', reason: `merchant ${owner.status}` };
}
