"""Which learned model a process uses: the shipped one, or the organisation's from the database.

The shipped model is read from package data once per process (``array.frombytes``, about a
millisecond). The organisation's model (``canipost model train``) lives in the
``learned_models`` table so every worker and the CLI use the same one. At most once every
:data:`REFRESH_SECONDS` a process reads the active row's version — one indexed query — and
loads the weights only when the version changed.

Cold start: no SQLAlchemy here. A SQLite URL is read with the standard library's ``sqlite3``,
read-only; a SQLite file that does not exist means no organisation model (``check`` never
creates a database). Only PostgreSQL goes through :mod:`bot.store`.

A stored model that is corrupt, of an old format, or unreadable is never fatal: the shipped
model is used, a warning is logged, and :func:`status` (shown in ``/readyz`` and
``canipost model status``) says why.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bot.learned.model import LinearModel, ModelFormatError

log = logging.getLogger("canipost.learned")

#: Longest time a newly trained model takes to reach another process.
REFRESH_SECONDS = 5.0
DEFAULT_URL = "sqlite:///canipost.db"
DATA_DIR = Path(__file__).with_name("data")
SHIPPED_PATH = DATA_DIR / "learned_model.bin"
VECTORS_PATH = DATA_DIR / "train_vectors.bin.gz"

_VERSION_SQL = (
    "SELECT id, version FROM learned_models WHERE workspace = ? AND active ORDER BY id DESC LIMIT 1"
)
_BLOB_SQL = "SELECT blob FROM learned_models WHERE id = ?"


@dataclass(slots=True)
class InUse:
    """The model a review uses and where it came from."""

    model: LinearModel
    source: str  # "shipped" | "organisation"
    fallback_reason: str | None = None


_lock = threading.Lock()
_shipped: LinearModel | None = None
_state: dict[tuple[str, str], tuple[float, Any, InUse]] = {}
_last_status: dict[str, Any] = {}
_stores: dict[str, Any] = {}  # one engine per PostgreSQL URL, reused by every refresh


def database_url() -> str:
    """``DATABASE_URL`` or the embedded default, as the store would resolve it."""
    return os.environ.get("DATABASE_URL", "").strip() or DEFAULT_URL


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL; ``""`` for in-memory; None when the URL is not SQLite."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    path = unquote(rest[1:] if rest.startswith("/") else rest).split("?", 1)[0]
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        return ""
    return path


def shipped_model() -> LinearModel:
    """The model inside the package (loaded once per process)."""
    global _shipped
    if _shipped is None:
        with _lock:
            if _shipped is None:
                _shipped = LinearModel.from_bytes(SHIPPED_PATH.read_bytes())
    return _shipped


def _read_row(url: str, workspace: str, known_id: Any) -> tuple[Any, bytes | None]:
    """(row id or None, blob when the row changed) of the active organisation model."""
    path = sqlite_path(url)
    if path == "":
        return None, None
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            return None, None
        con = sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True, timeout=10)
        try:
            try:
                row = con.execute(_VERSION_SQL, (workspace,)).fetchone()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return None, None  # database from before migration 0003
                raise
            if row is None:
                return None, None
            if row[0] == known_id:
                return row[0], None
            blob = con.execute(_BLOB_SQL, (row[0],)).fetchone()[0]
            return row[0], bytes(blob)
        finally:
            con.close()
    from sqlalchemy import inspect, text

    store = _stores.get(url)
    if store is None:
        from bot.store import open_store

        store = _stores[url] = open_store(url, migrate=False)
    with store.engine.connect() as conn:
        if not inspect(conn).has_table("learned_models"):
            return None, None
        row = conn.execute(text(_VERSION_SQL.replace("?", ":ws")), {"ws": workspace}).first()
        if row is None:
            return None, None
        if row[0] == known_id:
            return row[0], None
        blob = conn.execute(text(_BLOB_SQL.replace("?", ":id")), {"id": row[0]}).scalar_one()
        return row[0], bytes(blob)


def current(workspace: str = "", url: str | None = None) -> InUse:
    """The model to use now for ``workspace`` (re-checked at most every REFRESH_SECONDS)."""
    url = url or database_url()
    key = (url, workspace)
    now = time.monotonic()
    got = _state.get(key)
    if got is not None and now - got[0] < REFRESH_SECONDS:
        return got[2]
    known_id = got[1] if got is not None else None
    try:
        row_id, blob = _read_row(url, workspace, known_id)
    except Exception as exc:  # database down or locked: keep what we had
        reason = f"could not read the organisation model ({exc.__class__.__name__})"
        in_use = got[2] if got is not None else InUse(shipped_model(), "shipped", reason)
        if got is None or got[2].fallback_reason != reason:
            log.warning("learned layer: %s; using the %s model", reason, in_use.source)
        _state[key] = (now, known_id, in_use)
        _remember(in_use)
        return in_use
    if row_id is None:
        in_use = InUse(shipped_model(), "shipped")
    elif blob is None and got is not None:
        in_use = got[2]
    else:
        try:
            in_use = InUse(LinearModel.from_bytes(blob or b""), "organisation")
        except ModelFormatError as exc:
            reason = f"stored organisation model {row_id} is unusable: {exc}"
            log.warning("learned layer: %s; falling back to the shipped model", reason)
            in_use = InUse(shipped_model(), "shipped", reason)
    _state[key] = (now, row_id, in_use)
    _remember(in_use)
    return in_use


def _remember(in_use: InUse) -> None:
    _last_status.clear()
    _last_status.update(
        model=in_use.source,
        version=in_use.model.version,
        fallback_reason=in_use.fallback_reason,
    )


def invalidate() -> None:
    """Forget cached organisation models (after ``model train`` in this process; tests)."""
    _state.clear()


def status(workspace: str = "", url: str | None = None) -> dict[str, Any]:
    """Health of the learned layer for ``/readyz`` and ``canipost model status``.

    ``ok`` is False when the shipped model itself cannot be read (the layer is then off);
    a fallback from a bad stored model keeps ``ok`` True but names the reason.
    """
    try:
        in_use = current(workspace, url)
    except (OSError, ModelFormatError) as exc:
        return {"ok": False, "model": None, "error": f"shipped model unreadable: {exc}"}
    out: dict[str, Any] = {
        "ok": True,
        "model": in_use.source,
        "version": in_use.model.version,
        "fallback_reason": in_use.fallback_reason,
    }
    if disabled():
        out["disabled"] = True
    return out


def disabled() -> bool:
    """``CANIPOST_LEARNED=off`` switches the layer off (rules-only measurements, incidents)."""
    return os.environ.get("CANIPOST_LEARNED", "").strip().lower() in ("off", "0", "false", "no")
