// GET /payments/{paymentId}: the authorized merchant's own payment, 404 for anything else.

import { apiHandler, getPathParameter, jsonResponse, requireMerchantId } from './lib/http.mjs';
import { getOwnedPaymentItem, toPayment } from './lib/payments.mjs';

export const handler = apiHandler('get-payment', async (event) => {
  const merchantId = requireMerchantId(event);
  const item = await getOwnedPaymentItem(merchantId, getPathParameter(event, 'paymentId'));
  return jsonResponse(200, toPayment(item));
});
