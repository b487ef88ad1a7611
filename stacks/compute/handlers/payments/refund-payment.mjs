// POST /payments/{paymentId}/refunds: partial or full refund, idempotently, never above the
// remaining amount even under concurrent refunds, with the payment item's size bounded whatever
// the refund history.
//
// Storage: each refund is its own item in TRANSACTIONS_TABLE (`transactionId` = `refund#<refundId>`,
// `recordType` = `refund`, with paymentId, merchantId, amount, currency, reason, createdAt); the
// payment item keeps only the running total `refundedAmount` and `status`. Nothing is appended to
// the payment, so its size no longer grows with every refund (it used to reach DynamoDB's 400 KB
// item limit after about a thousand refunds, and every refund after that failed).
//
// Each attempt is ONE TransactWriteItems, chosen from the last state read:
//   1. UpdateItem on the payment, conditional on its merchant, a refundable status and
//      - exactly the remaining amount: `refundedAmount = :maxBefore`, status `refunded`
//      - less than the remaining:      `refundedAmount < :maxBefore`, status `partially_refunded`
//      where maxBefore = amount - refund (a missing refundedAmount counts as 0, a missing status
//      as the one the amounts imply);
//   2. PutItem of the refund record, conditional on `attribute_not_exists(transactionId)`.
// DynamoDB applies both or neither, so no interleaving can push refundedAmount above amount, the
// stored status always matches the amounts, and a refund id is counted at most once: a re-run with
// the same id (idempotency takeover after a crash) finds its record and answers from it. When a
// concurrent refund changed the payment, the condition fails, the payment is read again and the
// decision retaken (refundedAmount only grows, so this ends).

import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './lib/dynamodb.mjs';
import {
  HttpError, apiHandler, echo, getPathParameter, jsonResponse, parseJsonObjectBody, requireEnv, requireMerchantId,
} from './lib/http.mjs';
import { withIdempotency } from './lib/idempotency.mjs';
import {
  REFUND_RECORD_TYPE, getOwnedPaymentItem, newRefundId, paymentStatus, refundItemKey, toPayment,
} from './lib/payments.mjs';
import { requireIdempotencyKey, validateRefund } from './lib/validate.mjs';

const MAX_ATTEMPTS = 10;
/** The statuses a refund may start from; anything else is 409 `payment_not_refundable`. */
export const REFUNDABLE_STATUSES = Object.freeze(['succeeded', 'partially_refunded']);

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

const notRefundable = (why) => new HttpError(409, 'payment_not_refundable', `The payment cannot be refunded: ${why}.`);

/** What a refund can start from, or the 4xx that says why not. Old records lack fields: defaults apply. */
function refundableState(item) {
  const amount = Number(item.amount);
  const refundedAmount = Number(item.refundedAmount ?? 0);
  if (!Number.isSafeInteger(amount) || amount <= 0 || !Number.isSafeInteger(refundedAmount)
      || refundedAmount < 0 || refundedAmount > amount) {
    return { error: notRefundable('its stored amounts are not valid') };
  }
  const status = item.status ?? paymentStatus(amount, refundedAmount);
  if (!REFUNDABLE_STATUSES.includes(status)) {
    return { error: notRefundable(`its status is '${echo(status)}' (refundable: ${REFUNDABLE_STATUSES.join(', ')})`) };
  }
  return { amount, refundedAmount, hasRefundedAmount: item.refundedAmount !== undefined };
}

function refundResponse(record, paymentItem) {
  return {
    refundId: record.refundId,
    paymentId: paymentItem.transactionId,
    amount: Number(record.amount),
    currency: paymentItem.currency,
    createdAt: record.createdAt,
    payment: toPayment(paymentItem),
  };
}

async function getRefundRecord(table, refundId) {
  const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: { transactionId: refundItemKey(refundId) }, ConsistentRead: true }));
  return Item;
}

/** Refunds stored by the earlier design (a `refunds` list on the payment), for re-runs across the upgrade. */
function legacyRefund(item, refundId) {
  if (!(item.refundIds instanceof Set) || !item.refundIds.has(refundId)) return undefined;
  const entry = (item.refunds || []).find((r) => r.refundId === refundId) || {};
  return { refundId, amount: entry.amount, createdAt: entry.createdAt };
}

function cancellationCodes(error) {
  if (error?.name !== 'TransactionCanceledException') return undefined;
  return (error.CancellationReasons || []).map((reason) => reason?.Code || 'None');
}

async function refund(merchantId, paymentId, refundId, input, log) {
  const table = requireEnv('TRANSACTIONS_TABLE');
  let item = await getOwnedPaymentItem(merchantId, paymentId);
  const earlier = legacyRefund(item, refundId) || await getRefundRecord(table, refundId);
  if (earlier) return refundResponse(earlier, item); // applied by an earlier attempt of this request

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const state = refundableState(item);
    if (state.error) throw state.error;
    const remaining = state.amount - state.refundedAmount;
    if (input.amount > remaining) {
      throw new HttpError(422, 'refund_exceeds_remaining',
        `Refund amount ${input.amount} exceeds the remaining refundable amount ${remaining}.`);
    }
    const maxBefore = state.amount - input.amount;
    const full = input.amount === remaining;
    // A record without refundedAmount has refunded nothing; `if_not_exists` starts the total at 0.
    const amountCondition = full
      ? (state.hasRefundedAmount ? 'refundedAmount = :maxBefore' : 'attribute_not_exists(refundedAmount)')
      : '(attribute_not_exists(refundedAmount) OR refundedAmount < :maxBefore)';
    const record = {
      transactionId: refundItemKey(refundId),
      recordType: REFUND_RECORD_TYPE,
      refundId,
      paymentId,
      merchantId,
      amount: input.amount,
      currency: item.currency,
      createdAt: new Date().toISOString(),
      reason: input.reason,
    };
    try {
      await ddb.send(new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: { transactionId: paymentId },
              UpdateExpression: 'SET refundedAmount = if_not_exists(refundedAmount, :zero) + :amt, #status = :status, updatedAt = :now',
              ConditionExpression: 'merchantId = :merchantId AND (attribute_not_exists(#status) OR #status IN (:succeeded, :partial)) '
                + `AND ${amountCondition}`,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':zero': 0,
                ':amt': input.amount,
                ':status': full ? 'refunded' : 'partially_refunded',
                ':now': record.createdAt,
                ':merchantId': merchantId,
                ':succeeded': REFUNDABLE_STATUSES[0],
                ':partial': REFUNDABLE_STATUSES[1],
                ...(amountCondition.includes(':maxBefore') ? { ':maxBefore': maxBefore } : {}),
              },
            },
          },
          {
            Put: { TableName: table, Item: record, ConditionExpression: 'attribute_not_exists(transactionId)' },
          },
        ],
      }));
      log.info('refund applied', { refundId, amount: input.amount, full });
      return refundResponse(record, await getOwnedPaymentItem(merchantId, paymentId));
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      if (codes[1] === 'ConditionalCheckFailed') {
        // Our record exists: an earlier attempt of this very request was applied.
        return refundResponse(await getRefundRecord(table, refundId), await getOwnedPaymentItem(merchantId, paymentId));
      }
      if (!codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) throw error;
      log.debug('refund raced with another update; re-reading the payment', { attempt, codes });
      await sleep(Math.floor(Math.random() * 10 * (attempt + 1)));
    }
    item = await getOwnedPaymentItem(merchantId, paymentId);
  }
  // Not stored as the idempotent answer: the same key may be retried and will then be applied.
  throw new HttpError(409, 'refund_contention',
    'The payment is being refunded by many concurrent requests; retry with the same Idempotency-Key.', { retryable: true });
}
