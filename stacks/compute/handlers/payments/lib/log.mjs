// Structured JSON logging with a redaction step.
//
// One JSON object per line on stdout (process.stdout.write, not console.log, so the Lambda
// runtime does not prefix the line and CloudWatch Logs Insights can parse it as JSON).
// Every caller-supplied field goes through redact(): a payment API must never write card data,
// API keys or authorization headers to its logs, whatever a caller happens to send.

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };
const DEFAULT_LEVEL = 'info';
const REDACTED = '[REDACTED]';
const MAX_DEPTH = 8;

// Key fragments that mark a value as card data or a secret. Matched against the lower-cased key
// with separators removed, so `card_number`, `cardNumber` and `Card-Number` are all caught.
const SENSITIVE_KEY_FRAGMENTS = [
  'card', 'cvv', 'cvc', 'number', 'authorization', 'apikey', 'secret', 'password',
  'token', 'credential', 'signature', 'cookie',
];
// `pan` is matched as a whole word only (camelCase / snake_case aware) so `company` survives.
const PAN_WORD = /(?:^|[^a-z])pan(?:[^a-z]|$)/;

// 12 to 19 digits, optionally grouped by single spaces or dashes (`4111 1111 1111 1111`).
const DIGIT_RUN = /\d(?:[ -]?\d){11,18}/g;

function isSensitiveKey(key) {
  const compact = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SENSITIVE_KEY_FRAGMENTS.some((fragment) => compact.includes(fragment))) return true;
  // Split camelCase into words before the whole-word test: `cardPan` -> `card_pan`.
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return PAN_WORD.test(words);
}

function redactString(value) {
  return value.replace(DIGIT_RUN, REDACTED);
}

function redactNumber(value) {
  // A card number sent as a JSON number is still a card number.
  if (Number.isFinite(value)) {
    const digits = String(Math.trunc(Math.abs(value))).length;
    if (digits >= 12 && digits <= 19) return REDACTED;
  }
  return value;
}

/**
 * Returns a copy of `value` without anything that could be card data or a secret:
 * sensitive keys are dropped, long digit runs in strings and long integers are masked.
 */
export function redact(value, depth = 0) {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'number') return redactNumber(value);
  if (typeof value === 'bigint') return redactNumber(Number(value));
  if (typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[TRUNCATED]';
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Set) return [...value].map((item) => redact(item, depth + 1));
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    if (isSensitiveKey(key)) continue;
    out[key] = redact(item, depth + 1);
  }
  return out;
}

function redactError(error, depth) {
  const out = { name: error.name, message: redactString(String(error.message)) };
  if (error.code !== undefined) out.code = redact(error.code, depth + 1);
  if (error.$metadata && error.$metadata.httpStatusCode) out.httpStatusCode = error.$metadata.httpStatusCode;
  if (typeof error.stack === 'string') out.stack = redactString(error.stack);
  return out;
}

function resolveLevel(level) {
  const name = String(level || '').toLowerCase();
  return Object.prototype.hasOwnProperty.call(LEVELS, name) ? name : DEFAULT_LEVEL;
}

function defaultSink(line) {
  process.stdout.write(`${line}\n`);
}

/**
 * Creates a logger bound to one invocation.
 * @param {object} options
 * @param {string} options.functionName  logical handler name (e.g. `process-payment`)
 * @param {string} [options.requestId]   API Gateway / Lambda request id
 * @param {string} [options.level]       minimum level; defaults to LOG_LEVEL, then `info`
 * @param {(line: string) => void} [options.sink] where lines go; stdout by default
 */
export function createLogger({ functionName, requestId, level, sink = defaultSink } = {}) {
  const threshold = LEVELS[resolveLevel(level ?? process.env.LOG_LEVEL)];
  const emit = (lvl, message, fields) => {
    if (LEVELS[lvl] < threshold) return;
    const safe = fields ? redact(fields) : {};
    const entry = {
      ...safe,
      timestamp: new Date().toISOString(),
      level: lvl,
      message: redactString(String(message)),
      requestId: requestId ?? null,
      function: functionName,
    };
    sink(JSON.stringify(entry));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}
