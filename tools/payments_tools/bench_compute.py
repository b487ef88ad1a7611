"""Measure the compute layer's packages: zip size per function and the time to build each zip.

Figures for the engineer, not assertions: run `.venv/bin/python -m payments_tools.bench_compute`
(optionally `--inventory path --repeat N`). Builds in memory and writes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from pathlib import Path

from payments_compute.packaging import build_zip, source_files
from shared.inventory import load_inventory
from shared.settings import find_repo_root, load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inventory", type=Path, help="dev inventory JSON (default: the configured one)")
    parser.add_argument("--repeat", type=int, default=5, help="builds per code folder; the median is reported")
    args = parser.parse_args(argv)

    settings = load_settings(find_repo_root(Path.cwd()))
    inventory = load_inventory(args.inventory or settings.inventory_file, settings.repo_root, settings.environment_suffix)
    timings: dict[Path, tuple[float, bytes]] = {}
    for folder in sorted({f.code_path for f in inventory.functions}):
        runs: list[float] = []
        data = b""
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            data = build_zip(folder)
            runs.append(time.perf_counter() - started)
        timings[folder] = (statistics.median(runs), data)

    print(f"{'function':<36} {'files':>5} {'source B':>9} {'zip B':>8} {'build ms':>9}  sha256")
    for function in inventory.functions:
        seconds, data = timings[function.code_path]
        files = source_files(function.code_path)
        source_bytes = sum((function.code_path / f).stat().st_size for f in files)
        print(
            f"{function.name:<36} {len(files):>5} {source_bytes:>9} {len(data):>8} {seconds * 1000:>9.2f}  "
            f"{hashlib.sha256(data).hexdigest()[:16]}"
        )
    print(f"{len(timings)} distinct package(s) for {len(inventory.functions)} function(s); median of {args.repeat} builds each")


if __name__ == "__main__":
    main()
