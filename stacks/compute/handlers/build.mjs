// Bundles each handler with everything it imports (its lib/ modules, the AWS SDK v3 clients, the
// X-Ray SDK) into one self-contained, minified ES module per handler, so the function runs the
// exact code the tests ran rather than whatever SDK the Lambda runtime happens to ship.
//
//   node stacks/compute/handlers/build.mjs [--source DIR] [--out DIR] [--target nodeNN]
//
// Defaults: source `payments/` beside this file, out `build/lambda/payments` under the repository,
// target the running Node.js major. The Python packaging runs this with the configured runtime's
// target and zips the output; `make build-handlers` does the same for the tests.
//
// Reproducible: esbuild is pinned (package.json), output carries no path, time or machine detail
// (comments are dropped by minification), and entries are processed in sorted order, so the same
// source, lock file and target give the same bytes.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../../..');

// The SDKs are partly CommonJS; in an ES module bundle their `require` of Node built-ins needs a
// real `require`, which ESM does not define.
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The handler entry points: every top-level `.mjs` of the source folder, sorted. */
export function entryPoints(source) {
  return readdirSync(source).filter((name) => name.endsWith('.mjs')).sort().map((name) => join(source, name));
}

/**
 * esbuild's options for bundling the handlers of `source` into `outdir` for `target` (`node24`).
 *
 * `mainFields` makes esbuild take a package's ES module build (`module`) before its CommonJS one
 * (`main`); for Node.js its default is the other way round. esbuild can drop unused code only
 * from ES modules, and the AWS SDK v3 packages ship both: from their CommonJS builds each bundle
 * carried whole clients, 45% more bytes (get-payment: 669 KB against 460 KB), and importing it
 * took about half as long again (process-payment: 151 ms against 99 ms, medians of seven alternating cold
 * imports on Node.js 24 here), a cost every Lambda cold start pays.
 * Packages that ship CommonJS only (the X-Ray SDK) are bundled as before.
 */
export function bundleOptions({ source, outdir, target }) {
  return {
    entryPoints: entryPoints(source),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target,
    mainFields: ['module', 'main'],
    minify: true,
    treeShaking: true,
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: REQUIRE_SHIM },
    // A copied source folder (tests build from tmp copies) still resolves the pinned packages.
    nodePaths: [join(REPO_ROOT, 'node_modules')],
    absWorkingDir: REPO_ROOT,
    logLevel: 'warning',
  };
}

const DEFAULT_SOURCE = join(HERE, 'payments');
const DEFAULT_OUT = join(REPO_ROOT, 'build/lambda/payments');

/** `target` (`node24`), or the running Node.js's major when none is given; anything else is refused. */
function nodeTargetOf(target) {
  const nodeTarget = target || `node${process.versions.node.split('.')[0]}`;
  if (!/^node\d+$/.test(nodeTarget)) throw new Error(`--target must look like node24, got ${nodeTarget}`);
  return nodeTarget;
}

/** Bundles every handler of `source` into `out` (replaced as a whole, never left half-written). */
export async function bundleHandlers({ source = DEFAULT_SOURCE, out = DEFAULT_OUT, target } = {}) {
  const nodeTarget = nodeTargetOf(target);
  const partial = `${out}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  await build(bundleOptions({ source: resolve(source), outdir: partial, target: nodeTarget }));
  rmSync(out, { recursive: true, force: true });
  renameSync(partial, out);
  return out;
}

/** Every file under `dir` but node_modules, as sorted paths relative to `root`. */
function filesUnder(dir, root = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(path, root);
    return entry.isFile() ? [relative(root, path)] : [];
  }).sort();
}

/** SHA-256 of what a bundle is made from: the target, this script, the lock file and every source file. */
export function inputsDigest({ source, target }) {
  const hash = createHash('sha256').update(`target=${target}\n`);
  for (const [label, path] of [['bundler', fileURLToPath(import.meta.url)], ['lock', join(REPO_ROOT, 'package-lock.json')]]) {
    hash.update(`${label}\n`).update(existsSync(path) ? readFileSync(path) : '').update('\n');
  }
  for (const file of filesUnder(source)) hash.update(`file ${file}\n`).update(readFileSync(join(source, file))).update('\n');
  return hash.digest('hex');
}

/**
 * `bundleHandlers`, unless `out` already holds the bundle of these very inputs.
 *
 * For `make build-handlers`, which runs before every `make test-node`: esbuild costs about a
 * CPU-second per build, and the sources rarely change between two runs of the suite. The digest
 * of the inputs is written beside `out` (`<out>.sha256`) only once a build has been renamed into
 * place, so a build that failed or was killed is never taken for a finished one.
 */
export async function bundleHandlersIfChanged({ source = DEFAULT_SOURCE, out = DEFAULT_OUT, target } = {}) {
  const nodeTarget = nodeTargetOf(target);
  const stamp = `${out}.sha256`;
  const digest = inputsDigest({ source: resolve(source), target: nodeTarget });
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return { out, built: false };
  rmSync(stamp, { force: true });
  await bundleHandlers({ source, out, target: nodeTarget });
  writeFileSync(stamp, digest);
  return { out, built: true };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { source: { type: 'string' }, out: { type: 'string' }, target: { type: 'string' }, 'if-changed': { type: 'boolean' } },
  });
  const options = { source: values.source && resolve(values.source), out: values.out && resolve(values.out), target: values.target };
  const out = values['if-changed'] ? (await bundleHandlersIfChanged(options)).out : await bundleHandlers(options);
  process.stdout.write(`${out}\n`);
}
