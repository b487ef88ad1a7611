// Card numbers (PANs) in free text. A payment description or refund reason is stored in DynamoDB,
// returned by the API and written to the S3 receipt, so a card number a client pastes into it
// would be at rest in three places. Requests carrying one are refused instead.
//
// Candidates: digit groups joined by single spaces or dashes (`4111 1111 1111 1111`,
// `4111-1111-1111-1111`, `4111111111111111`). Every run of consecutive whole groups holding 13 to
// 19 digits (the ISO/IEC 7812 PAN lengths) is tested with the Luhn check, so a PAN followed by
// another number (`4111111111111111 123`) is still found. A single group of more than 19 digits is
// not a PAN and is not searched inside: long references stay usable.

const GROUPED_DIGITS = /\d+(?:[ -]\d+)*/g;
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

/** The Luhn (mod 10) check of a digit string. */
export function luhnValid(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Whether `text` holds a 13-19 digit number (spaces/dashes allowed between groups) that passes Luhn. */
export function containsCardNumber(text) {
  for (const [run] of String(text).matchAll(GROUPED_DIGITS)) {
    const groups = run.split(/[ -]/);
    for (let start = 0; start < groups.length; start += 1) {
      let digits = '';
      for (let end = start; end < groups.length; end += 1) {
        digits += groups[end];
        if (digits.length > MAX_DIGITS) break;
        if (digits.length >= MIN_DIGITS && luhnValid(digits)) return true;
      }
    }
  }
  return false;
}
