"""Errors that name the offending field, so an engineer can fix the input without reading code."""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(ValueError):
    """One or more problems in configuration or inventory, each tied to the field it concerns.

    Problems are collected and raised together: fixing one field at a time and re-running a
    five-layer deploy to find the next one wastes an afternoon.
    """

    def __init__(self, path: str, reason: str | None = None, *, problems: Iterable[tuple[str, str]] = ()) -> None:
        collected = list(problems)
        if reason is not None:
            collected.insert(0, (path, reason))
        if not collected:
            raise ValueError("ConfigError needs at least one problem")
        self.problems: list[tuple[str, str]] = collected
        super().__init__("\n".join(f"{where}: {why}" for where, why in collected))

    @classmethod
    def from_problems(cls, problems: Iterable[tuple[str, str]], *, header: str = "") -> ConfigError:
        """Build one error carrying every problem found (at least one is required)."""
        err = cls("", problems=problems)
        if header:
            err.args = (f"{header}\n{err.args[0]}",)
        return err

    @property
    def paths(self) -> list[str]:
        """The offending field paths, in the order they were found."""
        return [where for where, _ in self.problems]


def raise_if_any(problems: list[tuple[str, str]], *, header: str = "") -> None:
    """Raise a ConfigError carrying all problems, or return when there are none."""
    if problems:
        raise ConfigError.from_problems(problems, header=header)
