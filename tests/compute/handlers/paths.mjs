// The repository's root, for the handler tests and their helpers. A module of its own, with no
// imports beyond Node's: a test file that needs only this path (runtime.test.mjs,
// bundle.test.mjs) does not load the AWS SDK that helpers.mjs brings, about 0.1 CPU-s per process.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
