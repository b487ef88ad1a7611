// The handler tests run on the Node.js major of the configured Lambda runtime (`make test-node`
// passes it as PAYMENTS_NODE_MAJOR, from compute.runtime): a green run on another Node.js would
// say nothing about what Lambda executes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { REPO_ROOT } from './paths.mjs';

/** compute.runtime's major from config/production.yaml, when make did not pass it. */
function configuredMajor() {
  const yaml = readFileSync(`${REPO_ROOT}/config/production.yaml`, 'utf8');
  const match = /^\s+runtime:\s*nodejs(\d+)\.x\b/m.exec(yaml);
  assert.ok(match, 'compute.runtime not found in config/production.yaml');
  return match[1];
}

test('the tests run on the Node.js major of the configured Lambda runtime', () => {
  const expected = process.env.PAYMENTS_NODE_MAJOR || configuredMajor();
  const actual = process.versions.node.split('.')[0];
  assert.equal(actual, expected,
    `running on Node.js ${process.versions.node}, but the functions run on nodejs${expected}.x: run \`make setup\` and \`make test-node\``);
});
