// GET /payments/{paymentId}/receipt: writes the receipt document to RECEIPTS_BUCKET
// (`receipts/<merchantId>/<paymentId>.json`, SSE-KMS with the data CMK named by DATA_KEY_ARN) and returns a
// presigned GetObject URL valid for 5 minutes. The document is rewritten on every call so it
// reflects the current refund state.

import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { apiHandler, getPathParameter, jsonResponse, requireEnv, requireMerchantId } from './lib/http.mjs';
import { getOwnedPaymentItem, toPayment } from './lib/payments.mjs';
import { s3 } from './lib/s3.mjs';

export const URL_EXPIRES_IN_SECONDS = 300;
const RECEIPT_VERSION = 1;

export const receiptKeyFor = (merchantId, paymentId) => `receipts/${merchantId}/${paymentId}.json`;

export const handler = apiHandler('generate-receipt', async (event, { log }) => {
  const merchantId = requireMerchantId(event);
  const bucket = requireEnv('RECEIPTS_BUCKET');
  const dataKeyArn = requireEnv('DATA_KEY_ARN');
  const payment = toPayment(await getOwnedPaymentItem(merchantId, getPathParameter(event, 'paymentId')));

  const receiptKey = receiptKeyFor(merchantId, payment.paymentId);
  const document = { receiptVersion: RECEIPT_VERSION, issuedAt: new Date().toISOString(), ...payment };
  await s3.send(new PutObjectCommand({
    Bucket: bucket,
    Key: receiptKey,
    Body: JSON.stringify(document),
    ContentType: 'application/json',
    // `aws:kms` without a key id makes S3 use the AWS managed aws/s3 key, NOT the bucket default,
    // so the data CMK is named explicitly (the bucket policy refuses any other key).
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: dataKeyArn,
  }));
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: receiptKey }), {
    expiresIn: URL_EXPIRES_IN_SECONDS,
  });
  log.info('receipt written', { paymentId: payment.paymentId });
  return jsonResponse(200, { paymentId: payment.paymentId, receiptKey, url, expiresIn: URL_EXPIRES_IN_SECONDS });
});
