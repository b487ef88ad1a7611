// Structured logging and redaction (no AWS needed).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, redact } from '../../../stacks/compute/handlers/payments/lib/log.mjs';

function collect(options) {
  const lines = [];
  const log = createLogger({ functionName: 'unit', requestId: 'req-1', sink: (line) => lines.push(line), ...options });
  return { log, lines, entries: () => lines.map((l) => JSON.parse(l)) };
}

test('one JSON object per line with level, message, requestId and function', () => {
  const { log, lines, entries } = collect({ level: 'debug' });
  log.info('hello', { paymentId: 'pay_1', amount: 100 });
  assert.equal(lines.length, 1);
  assert.equal(lines[0].includes('\n'), false);
  const [entry] = entries();
  assert.equal(entry.level, 'info');
  assert.equal(entry.message, 'hello');
  assert.equal(entry.requestId, 'req-1');
  assert.equal(entry.function, 'unit');
  assert.equal(entry.paymentId, 'pay_1');
  assert.equal(entry.amount, 100);
  assert.match(entry.timestamp, /Z$/);
});

test('fields cannot overwrite the base fields', () => {
  const { log, entries } = collect({ level: 'debug' });
  log.info('real', { level: 'error', requestId: 'spoofed', function: 'other', message: 'fake' });
  const [entry] = entries();
  assert.deepEqual([entry.level, entry.requestId, entry.function, entry.message], ['info', 'req-1', 'unit', 'real']);
});

test('LOG_LEVEL is respected (explicit level, then environment, then info)', () => {
  const warnOnly = collect({ level: 'warn' });
  warnOnly.log.debug('d');
  warnOnly.log.info('i');
  warnOnly.log.warn('w');
  warnOnly.log.error('e');
  assert.deepEqual(warnOnly.entries().map((e) => e.level), ['warn', 'error']);

  const saved = process.env.LOG_LEVEL;
  try {
    process.env.LOG_LEVEL = 'ERROR';
    const fromEnv = collect({});
    fromEnv.log.warn('w');
    fromEnv.log.error('e');
    assert.deepEqual(fromEnv.entries().map((e) => e.level), ['error']);

    process.env.LOG_LEVEL = 'nonsense';
    const fallback = collect({});
    fallback.log.debug('d');
    fallback.log.info('i');
    assert.deepEqual(fallback.entries().map((e) => e.level), ['info']);
  } finally {
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  }
});

test('redaction drops sensitive keys at any depth', () => {
  const input = {
    paymentId: 'pay_1',
    card: { brand: 'visa' },
    cardNumber: '4111',
    card_number: '4111',
    pan: '4111',
    PAN: '4111',
    cardPan: '4111',
    cvv: '123',
    CVC: '123',
    accountNumber: 'x',
    Authorization: 'Bearer sk_live',
    headers: { authorization: 'Bearer sk_live', 'x-api-key': 'k', 'Content-Type': 'application/json' },
    apiKey: 'k',
    api_key: 'k',
    clientSecret: 's',
    nested: [{ cvv2: '999', ok: 'fine' }],
    company: 'ACME',
    expand: 'kept',
  };
  assert.deepEqual(redact(input), {
    paymentId: 'pay_1',
    headers: { 'Content-Type': 'application/json' },
    nested: [{ ok: 'fine' }],
    company: 'ACME',
    expand: 'kept',
  });
});

test('redaction masks 12-19 digit runs in strings and long integers', () => {
  assert.equal(redact('card 4111111111111111 used'), 'card [REDACTED] used');
  assert.equal(redact('4111 1111 1111 1111'), '[REDACTED]');
  assert.equal(redact('4111-1111-1111-1111'), '[REDACTED]');
  assert.equal(redact('amex 378282246310005!'), 'amex [REDACTED]!');
  assert.equal(redact('19 digits 6011000990139424123'), '19 digits [REDACTED]');
  assert.equal(redact('12 digits 123456789012'), '12 digits [REDACTED]');
  assert.equal(redact('11 digits 12345678901 stay'), '11 digits 12345678901 stay');
  assert.equal(redact('2026-01-02T03:04:05.678Z'), '2026-01-02T03:04:05.678Z');
  assert.equal(redact(4111111111111111), '[REDACTED]');
  assert.equal(redact(99999999999), 99999999999); // the largest valid amount is kept
  assert.deepEqual(redact({ note: ['pay with 5555555555554444'] }), { note: ['pay with [REDACTED]'] });
});

test('messages and errors are redacted too', () => {
  const { log, lines, entries } = collect({ level: 'debug' });
  const error = new Error('bad card 4000056655665556');
  log.error('failed for 4000056655665556', { error, authorization: 'Bearer secret-key' });
  assert.equal(lines[0].includes('4000056655665556'), false);
  assert.equal(lines[0].includes('secret-key'), false);
  const [entry] = entries();
  assert.equal(entry.message, 'failed for [REDACTED]');
  assert.equal(entry.error.message, 'bad card [REDACTED]');
  assert.equal(entry.error.name, 'Error');
});
