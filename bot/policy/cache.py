"""The compiled-policy cache: a loaded policy pickled on disk, keyed by everything it depends on.

Building the policy (parsing ~140 YAML files, ~300 matchers, the Aho-Corasick
automaton, the offensive-language model's JSON) takes several hundred
milliseconds; unpickling it takes a few tens. ``canipost check`` is a whole
process per draft, so that difference is most of its start-up.

The key hashes the bytes of every file in the policy folder, the organisation
settings the policy reads, the Python version and the size and mtime of the
code that builds it, so an edited rule, config or upgrade is a miss, never a
stale hit. Files live in ``$CANIPOST_CACHE_DIR``, else ``$XDG_CACHE_HOME/canipost``,
else ``~/.cache/canipost`` (never inside the package); ``CANIPOST_CACHE_DIR=off``
turns the cache off. Writes go to a temporary file renamed into place, so
concurrent writers and a crash mid-write leave either the old file or the new
one; a file that cannot be read is treated as a miss and rebuilt.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("canipost.policy")

#: Bump when the pickled layout changes in a way mtimes would not reveal.
FORMAT = 1
#: Cache files kept per folder (a few profiles and policy versions).
KEEP = 16
_POLICY_SUFFIXES = (".yaml", ".yml", ".txt", ".md")
_CODE_DIRS = ("policy", "detectors")
_CODE_FILES = ("text.py", "config.py", "verdict.py")
_CODE_SUFFIXES = (".py", ".gz", ".txt", ".json")


def cache_dir() -> Path | None:
    """Where cache files go; None when turned off."""
    value = os.environ.get("CANIPOST_CACHE_DIR")
    if value is not None:
        if value.strip().lower() in ("", "off", "0", "no", "false"):
            return None
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "canipost"


def _code_fingerprint(h: Any) -> None:
    h.update(_CODE_STAMP)


def _stamp_code() -> bytes:
    """Sizes and mtimes of the code that builds the policy, taken once, when it is imported.

    Taken at import, not at each load: a long-running worker whose package is upgraded
    underneath it must not file a pickle of its old classes under the new code's key.
    """
    h = hashlib.sha256()
    bot = Path(__file__).resolve().parents[1]
    paths: list[Path] = [bot / name for name in _CODE_FILES]
    for sub in _CODE_DIRS:  # code, and data it reads (stopwords, the offensive model)
        paths += sorted(p for p in (bot / sub).rglob("*") if p.suffix in _CODE_SUFFIXES)
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p.relative_to(bot)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.digest()


_CODE_STAMP = _stamp_code()


def key_for(directory: Path, settings: str) -> str:
    """A digest of the policy folder's files, the settings and the building code."""
    h = hashlib.sha256()
    h.update(f"canipost-policy-cache {FORMAT} {sys.version}\n{settings}\n".encode())
    _code_fingerprint(h)
    files = sorted(p for p in directory.rglob("*") if p.suffix in _POLICY_SUFFIXES and p.is_file())
    for p in files:
        h.update(f"{p.relative_to(directory)}\n".encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:32]


def load(key: str) -> Any | None:
    """The cached object for ``key``, or None (missing, unreadable or from another build)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"policy-{key}.pickle"
    collecting = gc.isenabled()
    try:
        with path.open("rb") as fh:
            # Unpickling creates a hundred thousand objects, all kept: with the cyclic
            # collector on, each few hundred of them set off a pass over those made so
            # far (a third of the load's time).
            gc.disable()
            obj = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as exc:  # corrupt, truncated, or written by other code: rebuild it
        log.info("ignoring unreadable policy cache %s (%s)", path, type(exc).__name__)
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(obj, tuple) or len(obj) != 2 or obj[0] != key:
        return None
    # The policy lives as long as the process: moved out of the collector's generations,
    # a full collection (set off by the memos a batch of new drafts fills) no longer walks it.
    gc.freeze()
    return obj[1]


def store(key: str, obj: Any) -> None:
    """Write ``obj`` for ``key`` atomically; failures (read-only home, full disk) are ignored."""
    folder = cache_dir()
    if folder is None:
        return
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".policy-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((key, obj), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"policy-{key}.pickle")
        tmp = None
        _prune(folder)
    except Exception as exc:
        log.info("policy cache not written to %s (%s)", folder, type(exc).__name__)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: Path) -> None:
    """Keep the newest :data:`KEEP` cache files."""
    files = []
    for p in folder.glob("policy-*.pickle"):
        try:
            files.append((p.stat().st_mtime, p))
        except OSError:
            continue
    files.sort(reverse=True)
    for _, p in files[KEEP:]:
        with contextlib.suppress(OSError):
            p.unlink()
