// `node --test --test-global-setup=tests/compute/handlers/global-setup.mjs` (make test-node): one
// moto_server for the whole run instead of one per test file. Each moto_server costs ~0.8 CPU-s
// to import moto and more to load its DynamoDB and S3 backends, which eleven files used to pay
// each. Test files run in child processes that inherit this process's environment, so the
// endpoint reaches them through PAYMENTS_TEST_MOTO_ENDPOINT; each file then creates tables and a
// bucket of its own there (helpers.mjs, useAwsStack). A file run on its own, without this module,
// starts a private server instead.
//
// The same inheritance turns on Node's compile cache in every test file (and the processes they
// start): each file loads up to four handler bundles and the SDK, and compiling them again in
// every process cost about a tenth of their CPU time. Each cached entry is checked
// against its source, so a rebuilt bundle is compiled afresh; the cache lives in the temporary
// folder, never in the repository.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto } from './moto.mjs';

let moto;

export async function globalSetup() {
  process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'payments-node-compile-cache');
  moto = await startMoto();
  process.env.PAYMENTS_TEST_MOTO_ENDPOINT = moto.endpoint;
}

export async function globalTeardown() {
  await moto?.stop();
}
