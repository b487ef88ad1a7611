// HTTP plumbing shared by the API Gateway (Lambda proxy) handlers: request parsing, the error
// contract `{"error": {"code", "message"}, "requestId"}`, and the invocation wrapper that turns
// any unexpected failure into a generic 500 (internals go to the log, never to the caller).

import { createLogger } from './log.mjs';

const JSON_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

const INTERNAL_MESSAGE = 'An internal error occurred. Retry later and quote the requestId if it persists.';

// Identifiers we accept from the authorizer context; they also become S3 key segments
// (`receipts/<merchantId>/...`), hence no `/` and no all-dots segment.
const MERCHANT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A failure the caller can act on: rendered as-is (status, snake_case code, message). */
export class HttpError extends Error {
  /** `retryable`: the same request may succeed later, so idempotency must not store this answer. */
  constructor(statusCode, code, message, { retryable = false } = {}) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.retryable = retryable;
  }
}

export const badRequest = (code, message) => new HttpError(400, code, message);

export function jsonResponse(statusCode, body, extraHeaders = {}) {
  return {
    statusCode,
    headers: { ...JSON_HEADERS, ...extraHeaders },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

export function errorResponse(statusCode, code, message, requestId) {
  return jsonResponse(statusCode, { error: { code, message }, requestId });
}

/** Case-insensitive header lookup over `headers`, then `multiValueHeaders`. */
export function getHeader(event, name) {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event?.headers || {})) {
    if (key.toLowerCase() === wanted && value !== null && value !== undefined) return String(value);
  }
  for (const [key, values] of Object.entries(event?.multiValueHeaders || {})) {
    if (key.toLowerCase() === wanted && Array.isArray(values) && values.length > 0) return String(values[0]);
  }
  return undefined;
}

/** Longest piece of client input an error message may quote; the rest is elided. */
export const MAX_ECHO_LENGTH = 64;

/** Client input quoted in an error message, bounded (a 100 KB field name must not come back whole). */
export function echo(value) {
  const text = String(value);
  return text.length <= MAX_ECHO_LENGTH ? text : `${text.slice(0, MAX_ECHO_LENGTH)}... (${text.length} characters)`;
}

/**
 * A JSON number whose text is not a plain integer that a double holds exactly (`1.0`, `1e3`,
 * `4.9999999999999999`, `12345678901234567890`). JSON.parse would have rounded it; keeping the
 * text lets validation refuse it instead of accepting a different amount than the one sent.
 */
export class InexactNumber {
  constructor(source) {
    this.source = source;
  }

  toJSON() {
    return this.source;
  }
}

const PLAIN_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

// `context.source` (JSON.parse source text access) is the number exactly as the client wrote it.
function keepNumberText(_key, value, context) {
  if (typeof value !== 'number') return value;
  const source = context?.source;
  if (typeof source !== 'string') throw new Error('JSON.parse source text access is unavailable (Node.js 22+ required)');
  return PLAIN_INTEGER.test(source) && Number.isSafeInteger(value) ? value : new InexactNumber(source);
}

/**
 * The first key that occurs twice in one object of `text` (already known to be valid JSON), or
 * undefined. Keys are compared decoded, so `"amount"` and `"\u0061mount"` are the same key.
 */
export function findDuplicateKey(text) {
  const stack = []; // one entry per open container: a Set of keys for objects, null for arrays
  let expectKey = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, end + 1));
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = end;
    } else if (ch === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === '[') {
      stack.push(null);
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      expectKey = Boolean(stack[stack.length - 1]);
    }
  }
  return undefined;
}

/**
 * Parses the body as a JSON object; anything else is a 400 naming the problem. Numbers that are
 * not exact integers come back as InexactNumber, and a key given twice in one object is refused:
 * a proxy or WAF in front of us may read the first value where JSON.parse keeps the last.
 */
export function parseJsonObjectBody(event) {
  let raw = event?.body;
  if (raw === null || raw === undefined || raw === '') {
    throw badRequest('invalid_body', 'Request body is required and must be a JSON object.');
  }
  if (event.isBase64Encoded) raw = Buffer.from(raw, 'base64').toString('utf8');
  let parsed;
  try {
    parsed = JSON.parse(raw, keepNumberText);
  } catch (error) {
    if (error instanceof SyntaxError) throw badRequest('invalid_json', 'Request body is not valid JSON.');
    // Nesting deep enough to exhaust the reviver's stack: no valid request looks like that.
    if (error instanceof RangeError) throw badRequest('invalid_json', 'Request body is nested too deeply.');
    throw error;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('invalid_body', 'Request body must be a JSON object.');
  }
  const duplicate = findDuplicateKey(raw);
  if (duplicate !== undefined) {
    throw badRequest('duplicate_field', `Field '${echo(duplicate)}' appears more than once; send each field once.`);
  }
  return parsed;
}

/**
 * The calling merchant, as set by the authorizer. Never taken from the body or headers.
 * Fails closed with 401 when absent or malformed (should not happen behind the authorizer).
 */
export function requireMerchantId(event) {
  const merchantId = event?.requestContext?.authorizer?.merchantId;
  if (typeof merchantId !== 'string' || !MERCHANT_ID_PATTERN.test(merchantId) || /^\.+$/.test(merchantId)) {
    throw new HttpError(401, 'unauthorized', 'The request is not authenticated.');
  }
  return merchantId;
}

export function getPathParameter(event, name) {
  const value = event?.pathParameters?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a required environment variable at call time; a missing one is a deployment error. */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`Missing required environment variable ${name}`);
  return value;
}

export function requestIdOf(event, context) {
  return event?.requestContext?.requestId || context?.awsRequestId || null;
}

/**
 * Wraps an API handler: builds the per-invocation logger, renders HttpError as its status,
 * and anything else as a generic 500 that names only the requestId.
 * @param {string} functionName
 * @param {(event: object, ctx: {log: object, requestId: string, context: object}) => Promise<object>} fn
 */
export function apiHandler(functionName, fn) {
  return async (event, context) => {
    const started = Date.now();
    const requestId = requestIdOf(event, context);
    const log = createLogger({ functionName, requestId });
    log.debug('request received', {
      httpMethod: event?.httpMethod,
      resource: event?.resource,
      awsRequestId: context?.awsRequestId,
    });
    let response;
    try {
      response = await fn(event, { log, requestId, context });
    } catch (error) {
      if (error instanceof HttpError) {
        response = errorResponse(error.statusCode, error.code, error.message, requestId);
        log.info('request rejected', { statusCode: error.statusCode, code: error.code });
      } else {
        log.error('unhandled error', { error });
        response = errorResponse(500, 'internal_error', INTERNAL_MESSAGE, requestId);
      }
    }
    log.info('request completed', { statusCode: response.statusCode, durationMs: Date.now() - started });
    return response;
  };
}
