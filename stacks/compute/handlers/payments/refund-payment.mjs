// POST /payments/{paymentId}/refunds: partial or full refund, idempotently, never above the
// remaining amount even under concurrent refunds.
//
// Each attempt is ONE conditional UpdateItem, chosen from the last state read:
//   - exactly the remaining amount: condition `refundedAmount = :maxBefore`, status `refunded`
//   - less than the remaining:      condition `refundedAmount < :maxBefore`, status `partially_refunded`
// where maxBefore = amount - refund. DynamoDB evaluates the condition and applies the update
// atomically, so no interleaving can push refundedAmount above amount, and the stored status
// always matches the amounts. When a concurrent refund changed the state, the condition fails,
// the payment is read again and the decision is retaken (refundedAmount only grows, so this ends).
// The refund id is added to the `refundIds` set in the same update, which makes a re-run with
// the same refund id (idempotency takeover after a crash) a no-op.

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionalCheckFailed } from './lib/dynamodb.mjs';
import {
  HttpError, apiHandler, getPathParameter, jsonResponse, parseJsonObjectBody, requireEnv, requireMerchantId,
} from './lib/http.mjs';
import { withIdempotency } from './lib/idempotency.mjs';
import { getOwnedPaymentItem, newRefundId, toPayment } from './lib/payments.mjs';
import { requireIdempotencyKey, validateRefund } from './lib/validate.mjs';

const MAX_ATTEMPTS = 10;

export const handler = apiHandler('refund-payment', async (event, { log, requestId, context }) => {
  const merchantId = requireMerchantId(event);
  const paymentId = getPathParameter(event, 'paymentId');
  const key = requireIdempotencyKey(event);
  const input = validateRefund(parseJsonObjectBody(event));
  log.debug('refund requested', { amount: input.amount });

  const result = await withIdempotency({
    merchantId,
    operation: 'refund-payment',
    key,
    request: { paymentId, ...input },
    newResourceId: newRefundId,
    execute: async (refundId) => ({ statusCode: 201, body: await refund(merchantId, paymentId, refundId, input, log) }),
    renderError: (error) => ({ statusCode: error.statusCode, body: { error: { code: error.code, message: error.message }, requestId } }),
    log,
    context,
  });
  return jsonResponse(result.statusCode, result.body, result.replayed ? { 'Idempotent-Replayed': 'true' } : {});
});

function refundResponse(item, refundId) {
  const entry = (item.refunds || []).find((r) => r.refundId === refundId) || {};
  return {
    refundId,
    paymentId: item.transactionId,
    amount: Number(entry.amount),
    currency: item.currency,
    createdAt: entry.createdAt,
    payment: toPayment(item),
  };
}

async function refund(merchantId, paymentId, refundId, input, log) {
  const table = requireEnv('TRANSACTIONS_TABLE');
  let item = await getOwnedPaymentItem(merchantId, paymentId);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    if (item.refundIds && item.refundIds.has(refundId)) return refundResponse(item, refundId); // applied by an earlier attempt

    const maxBefore = Number(item.amount) - input.amount;
    const refundedAmount = Number(item.refundedAmount || 0);
    if (refundedAmount > maxBefore) {
      throw new HttpError(422, 'refund_exceeds_remaining',
        `Refund amount ${input.amount} exceeds the remaining refundable amount ${Number(item.amount) - refundedAmount}.`);
    }
    const full = refundedAmount === maxBefore;
    const entry = { refundId, amount: input.amount, createdAt: new Date().toISOString(), reason: input.reason };
    try {
      const { Attributes } = await ddb.send(new UpdateCommand({
        TableName: table,
        Key: { transactionId: paymentId },
        UpdateExpression: 'SET refundedAmount = refundedAmount + :amt, #status = :status, updatedAt = :now, '
          + 'refunds = list_append(if_not_exists(refunds, :empty), :entry) ADD refundIds :refundIdSet',
        ConditionExpression: `merchantId = :merchantId AND refundedAmount ${full ? '=' : '<'} :maxBefore `
          + 'AND (attribute_not_exists(refundIds) OR NOT contains(refundIds, :refundId))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':amt': input.amount,
          ':status': full ? 'refunded' : 'partially_refunded',
          ':now': entry.createdAt,
          ':empty': [],
          ':entry': [entry],
          ':refundIdSet': new Set([refundId]),
          ':merchantId': merchantId,
          ':maxBefore': maxBefore,
          ':refundId': refundId,
        },
        ReturnValues: 'ALL_NEW',
      }));
      log.info('refund applied', { refundId, amount: input.amount, full });
      return refundResponse(Attributes, refundId);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      log.debug('refund raced with another update; re-reading the payment', { attempt });
    }
    item = await getOwnedPaymentItem(merchantId, paymentId);
  }
  throw new Error(`Refund could not be applied after ${MAX_ATTEMPTS} attempts of contention`);
}
