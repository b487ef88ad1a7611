// How the handlers are bundled (stacks/compute/handlers/build.mjs), checked on esbuild's own
// account of what went into each bundle: its metafile, from a build that writes nothing.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { bundleHandlersIfChanged, bundleOptions } from '../../../stacks/compute/handlers/build.mjs';
import { REPO_ROOT } from './paths.mjs';

const SOURCE = join(REPO_ROOT, 'stacks/compute/handlers/payments');

/** The package an input of the metafile belongs to, with the folder of its CommonJS build when it also ships an ES one. */
function packageOf(input) {
  const match = /(^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(input);
  if (!match) return null;
  const [, , name, file] = match;
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  const folder = (entry) => posix.normalize(dirname(entry)).replace(/^\.\/?/, '');
  const cjsOnly = typeof manifest.module !== 'string' || typeof manifest.main !== 'string' || folder(manifest.main) === folder(manifest.module);
  return { name, file, commonJsFolder: cjsOnly ? null : folder(manifest.main) };
}

test('packages that ship an ES module build are bundled from it, so esbuild can leave out the SDK code the handlers never use', async () => {
  const target = `node${process.versions.node.split('.')[0]}`;
  const options = bundleOptions({ source: SOURCE, outdir: join(REPO_ROOT, 'build/unwritten'), target });
  // One entry is enough, and cheaper: the receipt handler uses both clients, DynamoDB and S3.
  const entryPoints = options.entryPoints.filter((entry) => entry.endsWith('/generate-receipt.mjs'));
  assert.equal(entryPoints.length, 1, `generate-receipt.mjs not among ${options.entryPoints}`);
  const { metafile } = await build({ ...options, entryPoints, write: false, metafile: true });
  const packages = new Set();
  const fromCommonJs = [];
  for (const input of Object.keys(metafile.inputs)) {
    const pkg = packageOf(input);
    if (!pkg) continue;
    packages.add(pkg.name);
    if (pkg.commonJsFolder && pkg.file.startsWith(`${pkg.commonJsFolder}/`)) fromCommonJs.push(input);
  }
  assert.ok(packages.has('@aws-sdk/client-dynamodb') && packages.has('@aws-sdk/client-s3'), `unexpected bundle inputs: ${[...packages]}`);
  assert.deepEqual(fromCommonJs, [], 'CommonJS builds bundled although their package ships an ES module build');
});

test('make build-handlers bundles again only when an input changed, and never trusts a build that failed', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'bundle-if-changed-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const source = join(work, 'src');
  const out = join(work, 'out', 'payments');
  const handler = join(source, 'hello.mjs');
  const bundle = (body) => {
    if (body !== undefined) {
      rmSync(source, { recursive: true, force: true });
      mkdirSync(source, { recursive: true });
      writeFileSync(handler, body);
    }
    return bundleHandlersIfChanged({ source, out, target: 'node24' });
  };

  assert.equal((await bundle('export const handler = async () => 1;\n')).built, true);
  assert.equal((await bundle()).built, false, 'nothing changed');
  assert.equal((await bundle('export const handler = async () => 2;\n')).built, true, 'a source changed');
  assert.match(readFileSync(join(out, 'hello.mjs'), 'utf8'), /2/);
  assert.equal((await bundle('export const handler = async () => 2;\n')).built, false, 'same bytes, new file times');
  rmSync(out, { recursive: true });
  assert.equal((await bundle()).built, true, 'the bundle is gone although its digest is there');
  await assert.rejects(bundle('export const handler = ;\n'));
  assert.throws(() => readFileSync(`${out}.sha256`), { code: 'ENOENT' }, 'a failed build leaves no digest behind');
  assert.equal((await bundle('export const handler = async () => 2;\n')).built, true, 'after a failure the next run builds');
});
