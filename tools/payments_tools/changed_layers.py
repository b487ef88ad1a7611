"""Which layers a change touches, including every layer downstream of one it touches.

Reads changed paths (one per line, as `git diff --name-only` prints them) on stdin and writes
GitHub Actions step outputs on stdout: `<layer>=true|false` for each layer and `layers=<JSON
list>` in deploy order. CI runs it as a plain script before anything is installed, so it uses
the standard library only (a test keeps LAYERS and UPSTREAM equal to what the stacks really read).

A layer is selected when one of its own files changed, when something every layer is built
from changed (shared code, settings, the inventory, the Python pins), or when an upstream layer
is selected: its outputs may change, and a downstream layer reads them when it is deployed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence

LAYERS: tuple[str, ...] = ("foundation", "data", "compute", "edge", "observability")
"""Deploy order."""
UPSTREAM: dict[str, tuple[str, ...]] = {
    "foundation": (),
    "data": ("foundation",),
    "compute": ("foundation", "data"),
    "edge": ("foundation", "compute"),
    "observability": ("foundation", "data", "compute", "edge"),
}
"""The layers whose stack outputs each layer reads (its StackReferences)."""
EVERY_LAYER: tuple[str, ...] = ("shared/", "config/", "policy/", "requirements.txt", "pyproject.toml", "Makefile")
"""Paths every layer is built or deployed from (the policy pack runs on every preview and update)."""
LAYER_FILES: dict[str, tuple[str, ...]] = {
    "compute": ("package.json", "package-lock.json"),
}
"""Files outside `stacks/<layer>/` one layer is built from (the handlers' npm packages)."""


def touched(paths: Iterable[str]) -> set[str]:
    """Layers whose own inputs changed, before propagation."""
    layers: set[str] = set()
    for path in (p.strip() for p in paths):
        if not path:
            continue
        if path.startswith(EVERY_LAYER):
            return set(LAYERS)
        parts = path.split("/")
        if len(parts) > 2 and parts[0] == "stacks" and parts[1] in LAYERS:
            layers.add(parts[1])
        layers |= {layer for layer, files in LAYER_FILES.items() if path in files}
    return layers


def affected(paths: Iterable[str]) -> list[str]:
    """Touched layers plus everything downstream of them, in deploy order."""
    selected = touched(paths)
    for layer in LAYERS:  # deploy order: every upstream is decided before its downstream
        if any(up in selected for up in UPSTREAM[layer]):
            selected.add(layer)
    return [layer for layer in LAYERS if layer in selected]


def step_outputs(layers: Sequence[str]) -> str:
    lines = [f"{layer}={'true' if layer in layers else 'false'}" for layer in LAYERS]
    lines.append(f"layers={json.dumps(list(layers), separators=(',', ':'))}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="select every layer (no usable base commit to diff against)")
    args = parser.parse_args(argv)
    layers = list(LAYERS) if args.all else affected(sys.stdin)
    sys.stdout.write(step_outputs(layers))
    print(f"layers to preview/deploy: {', '.join(layers) or 'none'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
