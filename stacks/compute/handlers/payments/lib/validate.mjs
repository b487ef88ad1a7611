// Request validation. Every 4xx names the offending field; bodies with unknown fields are
// rejected so a typo (`ammount`) or a smuggled field (`merchantId`) never passes silently.

import { InexactNumber, badRequest, echo, getHeader } from './http.mjs';
import { isCurrencyCode } from './currencies.mjs';
import { containsCardNumber } from './pan.mjs';

export const MAX_AMOUNT = 99_999_999_999; // minor units; 11 digits, below any card-number length
export const MAX_TEXT_LENGTH = 256;
const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{8,255}$/; // printable ASCII, the contract's minLength 8 and maxLength 255

function rejectUnknownFields(body, allowed) {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) {
      throw badRequest('unknown_field', `Field '${echo(field)}' is not allowed. Allowed fields: ${allowed.join(', ')}.`);
    }
  }
}

function requireAmount(body, field = 'amount') {
  if (!(field in body)) throw badRequest('missing_field', `Field '${field}' is required.`);
  const value = body[field];
  if (value instanceof InexactNumber) {
    throw badRequest('invalid_field',
      `Field '${field}' must be an integer amount in minor units written without fraction or exponent (e.g. 1050 for 10.50).`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw badRequest('invalid_field', `Field '${field}' must be an integer amount in minor units (e.g. 1050 for 10.50).`);
  }
  if (value <= 0 || value > MAX_AMOUNT) {
    throw badRequest('invalid_field', `Field '${field}' must be between 1 and ${MAX_AMOUNT}.`);
  }
  return value;
}

function optionalText(body, field) {
  if (!(field in body) || body[field] === undefined) return undefined;
  const value = body[field];
  if (typeof value !== 'string') throw badRequest('invalid_field', `Field '${field}' must be a string.`);
  // A lone surrogate (`"\ud800"`) is valid JSON but not Unicode text: it has no UTF-8 form, the encoding DynamoDB stores.
  if (!value.isWellFormed()) throw badRequest('invalid_field', `Field '${field}' must be valid Unicode text.`);
  if (value.length > MAX_TEXT_LENGTH) {
    throw badRequest('invalid_field', `Field '${field}' must be at most ${MAX_TEXT_LENGTH} characters.`);
  }
  if (containsCardNumber(value)) {
    throw badRequest('card_number_not_allowed',
      `Field '${field}' appears to contain a card number; card numbers must never be sent in free text.`);
  }
  return value;
}

/** POST /payments body: `{amount, currency, description?}`. */
export function validateCreatePayment(body) {
  rejectUnknownFields(body, ['amount', 'currency', 'description']);
  const amount = requireAmount(body);
  if (!('currency' in body)) throw badRequest('missing_field', "Field 'currency' is required.");
  if (!isCurrencyCode(body.currency)) {
    throw badRequest('invalid_field', "Field 'currency' must be an uppercase ISO 4217 currency code (e.g. EUR).");
  }
  const description = optionalText(body, 'description');
  return { amount, currency: body.currency, ...(description !== undefined ? { description } : {}) };
}

/** POST /payments/{paymentId}/refunds body: `{amount, reason?}`. */
export function validateRefund(body) {
  rejectUnknownFields(body, ['amount', 'reason']);
  const amount = requireAmount(body);
  const reason = optionalText(body, 'reason');
  return { amount, ...(reason !== undefined ? { reason } : {}) };
}

/** The `Idempotency-Key` header (case-insensitive), 8-255 printable ASCII characters, as the API contract declares (API Gateway checks only that it is present). */
export function requireIdempotencyKey(event) {
  const key = getHeader(event, 'Idempotency-Key');
  if (key === undefined) {
    throw badRequest('missing_idempotency_key', "Header 'Idempotency-Key' is required.");
  }
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw badRequest('invalid_idempotency_key', "Header 'Idempotency-Key' must be 8 to 255 printable ASCII characters.");
  }
  return key;
}
