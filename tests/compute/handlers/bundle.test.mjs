// How the handlers are bundled (stacks/compute/handlers/build.mjs), checked on esbuild's own
// account of what went into each bundle: its metafile, from a build that writes nothing.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { bundleOptions } from '../../../stacks/compute/handlers/build.mjs';
import { REPO_ROOT } from './helpers.mjs';

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
