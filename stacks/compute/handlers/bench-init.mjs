// Measures each handler's module import + initialisation time (what a cold start pays before
// the first invocation), each in a fresh Node process so no module cache is shared: the source
// modules (SDK loaded from node_modules, as an unbundled zip would load the runtime's SDK) beside
// the esbuild bundle that is deployed.
// A measurement, not a test:  node stacks/compute/handlers/bench-init.mjs [runs] [bundle dir]
// (bundle dir default: build/lambda/payments, from `make build-handlers`; absent -> source only)

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HANDLERS = ['process-payment', 'get-payment', 'refund-payment', 'generate-receipt', 'authorizer'];
const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(here, 'payments');
const runs = Math.max(1, Number(process.argv[2]) || 5);
const bundleDir = resolve(process.argv[3] || resolve(here, '../../../build/lambda/payments'));
const haveBundle = HANDLERS.every((name) => existsSync(resolve(bundleDir, `${name}.mjs`)));

const probe = (url) => `
const start = performance.now();
const mod = await import(${JSON.stringify(url)});
if (typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(String(performance.now() - start));
`;

const env = { ...process.env, AWS_REGION: process.env.AWS_REGION || 'eu-west-1' };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const coldImports = (file) => Array.from({ length: runs }, () => Number(execFileSync(
  process.execPath, ['--input-type=module', '-e', probe(pathToFileURL(file).href)], { env, encoding: 'utf8' },
)));

console.log(`node ${process.version}, ${runs} cold imports per handler, median ms`);
console.log(`${'handler'.padEnd(18)} ${'unbundled'.padStart(10)} ${'bundled'.padStart(10)}`);
for (const name of HANDLERS) {
  const unbundled = median(coldImports(resolve(sourceDir, `${name}.mjs`))).toFixed(1);
  const bundled = haveBundle ? median(coldImports(resolve(bundleDir, `${name}.mjs`))).toFixed(1) : 'n/a';
  console.log(`${name.padEnd(18)} ${unbundled.padStart(10)} ${bundled.padStart(10)}`);
}
if (!haveBundle) console.log(`no bundle in ${bundleDir}: run \`make build-handlers\``);
