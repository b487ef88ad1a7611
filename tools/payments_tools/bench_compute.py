"""Measure the compute layer's packages: per function, the deployed (bundled) zip beside the source-only zip.

Figures for the engineer, not assertions: run `.venv/bin/python -m payments_tools.bench_compute`
(optionally `--inventory path --repeat N`). Bundles and zips into a temporary folder; writes
nothing in the repository. Bundle time is esbuild's (a fresh bundle each run, no cache).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from payments_compute.packaging import build_artifact, build_zip, node_target, source_files
from payments_tools.cli import exit_with
from shared.inventory import load_inventory
from shared.settings import find_repo_root, load_settings


@dataclass(frozen=True)
class PackageFigures:
    """One code folder's figures."""

    files: int
    source_bytes: int
    unbundled_zip: int
    bundled_zip: int
    bundle_ms: float
    sha256: str


def measure(folder: Path, target: str, repeat: int, scratch: Path) -> PackageFigures:
    """Bundle and zip `folder` `repeat` times (each into a fresh folder); the median time is kept."""
    runs: list[float] = []
    artifact = None
    for run in range(max(1, repeat)):
        started = time.perf_counter()
        artifact = build_artifact(folder, scratch / f"{folder.name}-{run}", target)
        runs.append(time.perf_counter() - started)
    if artifact is None:  # unreachable: at least one run
        raise RuntimeError("no package was built")
    files = source_files(folder)
    return PackageFigures(
        files=len(files),
        source_bytes=sum((folder / f).stat().st_size for f in files),
        unbundled_zip=len(build_zip(folder)),
        bundled_zip=artifact.size,
        bundle_ms=statistics.median(runs) * 1000,
        sha256=artifact.sha256,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inventory", type=Path, help="dev inventory JSON (default: the configured one)")
    parser.add_argument("--repeat", type=int, default=3, help="bundles per code folder; the median time is reported")
    args = parser.parse_args(argv)

    settings = load_settings(find_repo_root(Path.cwd()))
    inventory = load_inventory(args.inventory or settings.inventory_file, settings.repo_root, settings.environment_suffix)
    target = node_target(settings.compute.runtime)
    with tempfile.TemporaryDirectory() as scratch:
        folders = sorted({f.code_path for f in inventory.functions})
        figures = {folder: measure(folder, target, args.repeat, Path(scratch)) for folder in folders}

    print(f"{'function':<36} {'files':>5} {'source B':>9} {'unbundled zip B':>16} {'bundled zip B':>14} {'bundle ms':>10}  sha256")
    for function in inventory.functions:
        f = figures[function.code_path]
        print(
            f"{function.name:<36} {f.files:>5} {f.source_bytes:>9} {f.unbundled_zip:>16} {f.bundled_zip:>14} {f.bundle_ms:>10.1f}  "
            f"{f.sha256[:16]}"
        )
    print(
        f"{len(figures)} distinct package(s) for {len(inventory.functions)} function(s); esbuild target {target}; "
        f"median of {args.repeat} bundles each"
    )
    return 0


if __name__ == "__main__":
    exit_with(main())
