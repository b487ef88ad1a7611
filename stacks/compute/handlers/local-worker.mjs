// One long-lived "Lambda execution environment" for `make local-api`: imports one handler module
// once (cold start), then answers invocations one at a time, as a Lambda instance does.
// Protocol, JSON lines: stdin  {"id", "event"} | {"id", "stats": true}
//                       stdout {"id", "result"} | {"id", "error": {"errorType", "errorMessage"}} | {"id", "invocations"}
// Handler logs (process.stdout in Lambda) go to stderr here, so stdout carries only the protocol.
// Lives beside, not inside, payments/: it is never part of a Lambda zip.
//
// Handler code comes from the esbuild bundle folder named on the command line (the one the
// compute layer zips and deploys), so the local API runs exactly what is deployed.

import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

// e.g. `process-payment.handler` (the function's Handler setting) and the bundle's folder
const [spec, bundleDir] = process.argv.slice(2);
const dot = spec ? spec.lastIndexOf('.') : -1;
if (dot <= 0 || !bundleDir) {
  process.stderr.write(`usage: local-worker.mjs <module.export> <bundle folder>, got ${spec} ${bundleDir}\n`);
  process.exit(2);
}
const HANDLERS_DIR = pathToFileURL(`${bundleDir}/`);
const reply = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

const handler = (await import(new URL(`${spec.slice(0, dot)}.mjs`, HANDLERS_DIR)))[spec.slice(dot + 1)];
if (typeof handler !== 'function') {
  process.stderr.write(`${spec}: not a function\n`);
  process.exit(2);
}
let invocations = 0;

function lambdaContext(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: randomUUID(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME || spec,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const message = JSON.parse(line);
  if (message.stats) {
    reply(`${JSON.stringify({ id: message.id, invocations })}\n`);
    continue;
  }
  invocations += 1;
  try {
    const result = await handler(message.event, lambdaContext(message.timeoutMs ?? 30_000));
    reply(`${JSON.stringify({ id: message.id, result: result ?? null })}\n`);
  } catch (error) {
    reply(`${JSON.stringify({ id: message.id, error: { errorType: error?.name || 'Error', errorMessage: String(error?.message ?? error) } })}\n`);
  }
}
