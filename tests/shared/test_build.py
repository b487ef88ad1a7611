"""Generated files: how they are written (shared.build)."""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import pytest

from shared.build import write_atomically


def test_writers_of_the_same_file_at_the_same_time_each_finish_and_leave_it_whole(tmp_path: Path) -> None:
    # The suite's two workers (or previews run side by side) zip the same bundle at once and
    # write the same content-addressed zip (payments_compute.packaging), and threads keep the same
    # parsed model (shared.aws): no writer may fail because another renamed first.
    target = tmp_path / "artifact.zip"
    data = os.urandom(256 * 1024)

    def write_many(_: int) -> None:
        for _ in range(40):
            write_atomically(target, data)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write_many, range(8)))
    assert target.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["artifact.zip"]  # no partial file left behind


def test_a_write_that_cannot_be_renamed_into_place_raises_and_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "artifact.zip"
    (target / "in-the-way").mkdir(parents=True)  # a folder where the file should go: the rename fails
    with pytest.raises(OSError):
        write_atomically(target, b"zip bytes")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifact.zip"] and target.is_dir()
