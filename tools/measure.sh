#!/usr/bin/env bash
# The README's figures, measured on a fresh clone of the committed tree: `make setup`, `make test`,
# and `make plan` against its import floor (make bench). Prints figures; asserts nothing.
# Usage: tools/measure.sh [git-ref]   (default HEAD; uncommitted changes are not measured)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
ref="${1:-HEAD}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet "$src" "$work/repo"
git -C "$work/repo" checkout --quiet "$ref"
cd "$work/repo"

now() { python3 -c 'import time; print(time.monotonic())'; }
# This machine's speed drifts by a third within an hour (shared cores), and the same `make test`
# costs 47 CPU-s at one moment and 64 at another. A fixed pure-Python loop, timed in CPU seconds
# before and after, says how fast the machine was while the figures were taken.
reference() { python3 -c 'import time
t = time.process_time()
total = 0
for i in range(20_000_000):
    total += i
print(f"{time.process_time() - t:.2f}")'; }
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }  # jiffies every process spent, orphans included
timed() {  # timed NAME COMMAND...: run it, print its wall time, show its log's tail if it fails
  local name="$1" start end
  shift
  start="$(now)"
  if ! "$@" > "$work/$name.log" 2>&1; then
    echo "$name: FAILED"; tail -30 "$work/$name.log"; exit 1
  fi
  end="$(now)"
  python3 -c "print(f'{\"$name\":<12} {$end - $start:7.1f} s')"
}

echo "fresh clone of $(git rev-parse --short HEAD) in $work/repo; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
before_speed="$(reference)"
timed "make setup" make setup
touch "$work/before-test"
busy_before="$(busy)"
timed "make test" make test
python3 -c "print(f'  CPU time of every process while it ran: {($(busy) - $busy_before) / $(getconf CLK_TCK):.1f} s on $(nproc) cores')"
grep -E "[0-9]+ passed" "$work/make test.log" | head -1 | tr -d '=' | sed 's/^ */  pytest: /'
after="$(sed -n '/[0-9]* passed/,/npm test/p' "$work/make test.log" | grep -cE 'Traceback|never retrieved|never awaited|Warning' || true)"
echo "  tracebacks or warnings after the pytest summary: $after"
grep -E "^(#|ℹ) (pass|fail) " "$work/make test.log" | tr '\n' ' ' | sed 's/^/  node: /'; echo
# What the run left in the clone, besides the caches that live there by design (bytecode, pytest's,
# the environments) and the bundle `make build-handlers` writes for the Node tests.
written="$(find . \( -path ./.git -o -path ./.venv -o -path ./node_modules -o -path ./.node -o -path ./.tools -o -path ./.pycache \
  -o -path ./.pytest_cache -o -path ./build/lambda \) -prune -o -type f -newer "$work/before-test" -print | head -5)"
echo "  written into the clone by make test: ${written:-nothing}"
compiled="$(find .pycache -name '*.pyc' -newer "$work/before-test" | wc -l)"
echo "  modules make test compiled, which make setup had not (payments_tools.warm_bytecode): $compiled"
make --no-print-directory bench BENCH_ARGS='--only plan-floor' | grep -vE '^(\.venv/bin/python|make\[1\])'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "reference loop (20 million additions in Python, CPU time): $before_speed s before, $(reference) s after"
