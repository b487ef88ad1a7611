// POST /payments: creates a payment for the authorized merchant, idempotently.

import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionalCheckFailed } from './lib/dynamodb.mjs';
import { apiHandler, jsonResponse, parseJsonObjectBody, requireEnv, requireMerchantId } from './lib/http.mjs';
import { withIdempotency } from './lib/idempotency.mjs';
import { newPaymentId, toPayment } from './lib/payments.mjs';
import { requireIdempotencyKey, validateCreatePayment } from './lib/validate.mjs';

export const handler = apiHandler('process-payment', async (event, { log, requestId, context }) => {
  const merchantId = requireMerchantId(event);
  const key = requireIdempotencyKey(event);
  const input = validateCreatePayment(parseJsonObjectBody(event));
  log.debug('create payment requested', { amount: input.amount, currency: input.currency });

  const result = await withIdempotency({
    merchantId,
    operation: 'create-payment',
    key,
    request: input,
    newResourceId: newPaymentId,
    execute: async (paymentId) => ({ statusCode: 201, body: await createPayment(merchantId, paymentId, input) }),
    renderError: (error) => ({ statusCode: error.statusCode, body: { error: { code: error.code, message: error.message }, requestId } }),
    log,
    context,
  });
  if (!result.replayed) log.info('payment created', { statusCode: result.statusCode });
  return jsonResponse(result.statusCode, result.body, result.replayed ? { 'Idempotent-Replayed': 'true' } : {});
});

/**
 * Writes the payment; a retry after a crash re-runs this with the same paymentId, so the put is
 * conditional and an existing item (ours) is returned instead of being overwritten.
 */
async function createPayment(merchantId, paymentId, input) {
  const table = requireEnv('TRANSACTIONS_TABLE');
  const item = {
    transactionId: paymentId,
    merchantId,
    amount: input.amount,
    currency: input.currency,
    refundedAmount: 0,
    status: 'succeeded',
    createdAt: new Date().toISOString(),
    description: input.description,
  };
  try {
    await ddb.send(new PutCommand({
      TableName: table,
      Item: item,
      ConditionExpression: 'attribute_not_exists(transactionId)',
    }));
    return toPayment(item);
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
  const { Item: existing } = await ddb.send(new GetCommand({
    TableName: table, Key: { transactionId: paymentId }, ConsistentRead: true,
  }));
  if (!existing || existing.merchantId !== merchantId) throw new Error('Payment id collision');
  return toPayment(existing);
}
