// moto_server on loopback, for the handler tests: started once for the whole run by
// global-setup.mjs (`make test-node`), or by a test file run on its own (helpers.mjs).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './paths.mjs';


function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// Real DynamoDB applies each conditional write atomically; moto_server serves requests on
// threads without locking its backends, so two conditional updates can interleave between the
// condition check and the write. To reproduce DynamoDB's guarantee (and keep the concurrency
// tests meaningful rather than flaky), moto_server's own entry point is started through its
// Python interpreter with one lock around each request. Requests still arrive concurrently.
// On the run's shared server the lock also orders requests from different test files; it costs
// them no parallelism they had, as one Python process runs one request at a time anyway.
// moto_server also lists its own package folder (and stats every entry) several times per
// request, to tell a service name from a host name: about a tenth of its CPU time in this
// suite. The folder does not change while it runs, so it is listed once; if a moto upgrade
// drops the function, the server simply runs unpatched. werkzeug's access log (a line on stderr
// per request, which only the last 4 KB of are kept, to explain a server that fails to start)
// cost about as much again; warnings and errors are still written.
const SERIALISED_MOTO = [
  'import logging, sys, threading',
  'logging.getLogger("werkzeug").setLevel(logging.WARNING)',
  'import moto.backends',
  'from moto.moto_server.werkzeug_app import DomainDispatcherApplication as App',
  'from moto.server import main',
  'if hasattr(moto.backends, "list_of_moto_modules"):',
  '    _modules = tuple(moto.backends.list_of_moto_modules())',
  '    moto.backends.list_of_moto_modules = lambda: _modules',
  '_lock = threading.Lock()',
  '_call = App.__call__',
  'def _serialised(self, environ, start_response):',
  '    with _lock:',
  '        return list(_call(self, environ, start_response))',
  'App.__call__ = _serialised',
  'main(sys.argv[1:])',
].join('\n');

function motoCommand(bin, port) {
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0];
  const python = shebang.startsWith('#!') && /python[0-9.]*$/.test(shebang) ? shebang.slice(2).trim() : null;
  return python ? [python, ['-c', SERIALISED_MOTO, ...args]] : [bin, args];
}

/** Starts moto_server on 127.0.0.1 with a free port; resolves to {endpoint, stop}. */
export async function startMoto() {
  const bin = process.env.MOTO_SERVER || resolve(REPO_ROOT, '.venv/bin/moto_server');
  if (!existsSync(bin)) throw new Error(`moto_server not found at ${bin}; set MOTO_SERVER or create the .venv`);
  let lastError;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const [command, args] = motoCommand(bin, port);
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
    let exited = false;
    child.on('exit', () => { exited = true; });
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      try {
        const res = await fetch(`${endpoint}/moto-api/`);
        await res.arrayBuffer();
        if (res.status < 500) {
          return {
            endpoint,
            stop: () => new Promise((done) => {
              if (exited) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
              setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 3000).unref();
            }),
          };
        }
      } catch (error) {
        lastError = error;
      }
      await sleep(20); // a refused connection costs nothing; moto is up within a second
    }
    if (!exited) child.kill('SIGKILL');
    lastError = new Error(`moto_server did not start on port ${port}: ${stderr}`);
  }
  throw lastError;
}
