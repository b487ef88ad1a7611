// The payment record in TRANSACTIONS_TABLE (hash key `transactionId` = paymentId) and its
// public JSON shape.

import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './dynamodb.mjs';
import { HttpError, requireEnv } from './http.mjs';

// Generous on purpose: ids migrated from dev may not follow the `pay_<hex>` shape.
const PAYMENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export const newPaymentId = () => `pay_${randomUUID().replace(/-/g, '')}`;
// `ref_`: the contract's Refund.refundId pattern (`^ref_[A-Za-z0-9]{8,64}$`).
export const newRefundId = () => `ref_${randomUUID().replace(/-/g, '')}`;

/** Refunds are their own items in the same table, keyed so no payment id can ever address one. */
export const REFUND_RECORD_TYPE = 'refund';
export const refundItemKey = (refundId) => `refund#${refundId}`;

export const paymentNotFound = () => new HttpError(404, 'payment_not_found', 'Payment not found.');

/** Status follows from the amounts, so it can never disagree with them. */
export function paymentStatus(amount, refundedAmount) {
  if (refundedAmount >= amount) return 'refunded';
  return refundedAmount > 0 ? 'partially_refunded' : 'succeeded';
}

/**
 * Public Payment JSON from a table item (internal attributes are not exposed). Records written
 * before `refundedAmount`/`status` existed read as their natural defaults: nothing refunded, and
 * the status that follows from the amounts.
 */
export function toPayment(item) {
  const refundedAmount = Number(item.refundedAmount ?? 0);
  const payment = {
    paymentId: item.transactionId,
    merchantId: item.merchantId,
    amount: Number(item.amount),
    currency: item.currency,
    status: item.status || paymentStatus(Number(item.amount), refundedAmount),
    refundedAmount,
    createdAt: item.createdAt,
  };
  if (item.description !== undefined) payment.description = item.description;
  return payment;
}

/**
 * Reads a payment owned by `merchantId` (strongly consistent). Unknown ids, malformed ids and
 * other merchants' payments all give the same 404, so existence never leaks.
 */
export async function getOwnedPaymentItem(merchantId, paymentId) {
  if (typeof paymentId !== 'string' || !PAYMENT_ID_PATTERN.test(paymentId)) throw paymentNotFound();
  const { Item } = await ddb.send(new GetCommand({
    TableName: requireEnv('TRANSACTIONS_TABLE'),
    Key: { transactionId: paymentId },
    ConsistentRead: true,
  }));
  if (!Item || Item.merchantId !== merchantId || Item.recordType === REFUND_RECORD_TYPE) throw paymentNotFound();
  return Item;
}
