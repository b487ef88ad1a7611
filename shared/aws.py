"""boto3 sessions that share one botocore model loader.

Every boto3 session owns a loader that parses the service models (multi-megabyte JSON) the
first time a client of that service is made; a program that makes a session per check, per
layer or per tool pays that parse again each time. The models are read-only data, so one
loader per process serves every session. Credentials and profiles stay per session.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import boto3
import botocore.loaders
import botocore.session

from shared.build import write_atomically


class _SearchPaths(list[str]):
    """The loader's search path, in which a folder appears once.

    boto3 appends its own data folder to its loader's search path for every session it makes;
    on a shared loader that would add a copy per session, and every model lookup walks them all.
    """

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


class PlainJSONFileLoader(botocore.loaders.JSONFileLoader):
    """botocore's model file reader, building plain dicts where botocore builds OrderedDicts, and keeping what it parsed.

    A dict keeps its insertion order (Python 3.7+), so the models are the same, but having the
    JSON parser call OrderedDict for every object made parsing about twice as slow; the models
    are megabytes and every process that talks to AWS, or emulates it, parses several (about
    10 MB and 0.1 s for `make plan`). So each parsed file is also kept in marshal form, which
    loads in about half the time, beside Python's own bytecode cache (`model_cache_file`).
    """

    def _load_file(self, full_path: str, open_method: Callable[..., IO[bytes]]) -> Any:
        if not os.path.isfile(full_path):
            return None
        cache = model_cache_file(full_path)
        if cache is not None:
            try:
                return marshal.loads(cache.read_bytes())
            except (OSError, EOFError, ValueError, TypeError):  # not cached yet, or unreadable: parse it again
                pass
        with open_method(full_path, "rb") as fp:
            model = json.loads(fp.read().decode("utf-8"))
        if cache is not None:
            _keep(cache, model)
        return model


MODEL_CACHE = "botocore-models"
"""The folder under Python's bytecode cache prefix that holds the parsed models."""


def model_cache_file(full_path: str) -> Path | None:
    """Where the parsed form of the model file `full_path` is kept, or None when nothing is kept.

    Only when Python keeps its bytecode in a folder of its own (`PYTHONPYCACHEPREFIX`, which the
    Makefile sets to `.pycache/`): that folder is the project's, disposable and ignored by git.
    The name covers the file's absolute path, size and modification time and the Python and
    marshal versions, so an upgraded botocore or Python never reads an older entry.
    """
    if not sys.pycache_prefix:
        return None
    stat = os.stat(full_path)
    identity = f"{os.path.abspath(full_path)}\0{stat.st_size}\0{stat.st_mtime_ns}\0{sys.version_info[:2]}\0{marshal.version}"
    return Path(sys.pycache_prefix) / MODEL_CACHE / f"{hashlib.sha256(identity.encode()).hexdigest()}.marshal"


def _keep(cache: Path, model: Any) -> None:
    """Write `model` to `cache` (`shared.build.write_atomically`: a reader never sees half of it); failing to is harmless."""
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cache, marshal.dumps(model))


@functools.cache
def model_loader() -> botocore.loaders.Loader:
    """The process's one botocore loader: it parses each service model once and keeps it."""
    return botocore.loaders.Loader(extra_search_paths=_SearchPaths(), file_loader=PlainJSONFileLoader())


def core_session() -> botocore.session.Session:
    """A new botocore session reading models from the shared loader; it looks at no profile until asked."""
    core = botocore.session.get_session()
    core.register_component("data_loader", model_loader())
    return core


def session(profile_name: str | None = None, region_name: str | None = None) -> boto3.Session:
    """A boto3 session like `boto3.Session(profile_name=..., region_name=...)`, reading models from the shared loader.

    Raises botocore's ProfileNotFound like boto3 does for an unknown profile.
    """
    core = core_session()
    made = boto3.Session(botocore_session=core, profile_name=profile_name, region_name=region_name)
    # boto3 finds an unknown profile while creating its own loader; with ours, ask for it here.
    core.get_scoped_config()
    return made


def process_session(profile_name: str | None = None, region_name: str | None = None) -> boto3.Session:
    """`session(profile_name, region_name)`, made once per process for as long as the AWS environment is the same.

    A session costs about 13 ms to make and each of its clients about 9 ms. A deploy runs one layer
    per process, but the offline plan and the test suite run many layers' programs in one, and each
    looked the dev account up with a new session and new clients. Any change to an `AWS_*`
    environment variable (credentials, profile, config file) gives a new session, so one made
    under other credentials is never reused. Raises botocore's ProfileNotFound like `session`.
    """
    environment = tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_")))
    return _process_session(profile_name, region_name, environment)


@functools.lru_cache(maxsize=16)
def _process_session(profile_name: str | None, region_name: str | None, _environment: tuple[tuple[str, str], ...]) -> boto3.Session:
    return session(profile_name=profile_name, region_name=region_name)
