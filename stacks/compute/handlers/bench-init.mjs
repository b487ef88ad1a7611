// Measures each handler's module import + initialisation time (what a cold start pays before
// the first invocation), each in a fresh Node process so no module cache is shared.
// A measurement, not a test:  node stacks/compute/handlers/bench-init.mjs [runs]

import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HANDLERS = ['process-payment', 'get-payment', 'refund-payment', 'generate-receipt', 'authorizer'];
const dir = resolve(dirname(fileURLToPath(import.meta.url)), 'payments');
const runs = Math.max(1, Number(process.argv[2]) || 5);

const probe = (url) => `
const start = performance.now();
const mod = await import(${JSON.stringify(url)});
if (typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(String(performance.now() - start));
`;

const env = { ...process.env, AWS_REGION: process.env.AWS_REGION || 'eu-west-1' };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`node ${process.version}, ${runs} cold imports per handler (ms)`);
console.log(['handler'.padEnd(18), 'median'.padStart(8), 'min'.padStart(8), 'max'.padStart(8)].join(' '));
for (const name of HANDLERS) {
  const url = pathToFileURL(resolve(dir, `${name}.mjs`)).href;
  const times = Array.from({ length: runs }, () => Number(execFileSync(
    process.execPath, ['--input-type=module', '-e', probe(url)], { env, encoding: 'utf8' },
  )));
  console.log([
    name.padEnd(18), median(times).toFixed(1).padStart(8), Math.min(...times).toFixed(1).padStart(8), Math.max(...times).toFixed(1).padStart(8),
  ].join(' '));
}
