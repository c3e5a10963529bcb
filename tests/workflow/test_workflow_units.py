"""Pure parts: ids, settings, redaction offsets, export formats."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Config
from bot.errors import ConfigError, InputError
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, Workflow, WorkflowSettings, new_id, normalise_id, redact
from bot.workflow.export import export_audit, parse_since


def test_ids_are_short_unique_and_forgiving() -> None:
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"S-[0-9A-HJKMNP-TV-Z]{10}", i) for i in ids)
    sid = next(iter(ids))
    assert normalise_id(sid.lower()) == sid
    assert normalise_id(" s-abcdefgh10 ") == "S-ABCDEFGH10"
    assert normalise_id("S-ABCDEFGHIO") == "S-ABCDEFGH10"  # I→1, O→0
    assert normalise_id("whatever") == "whatever"


def test_settings_defaults_and_validation() -> None:
    s = WorkflowSettings.from_config(Config())
    assert (s.reminder_after_minutes, s.escalate_after_minutes, s.expire_after_minutes) == (
        60,
        240,
        4320,
    )
    assert s.retention_days == 90 and s.redact_on_decision is False
    s = WorkflowSettings.from_config(
        Config(workflow={"reminder_after_minutes": 5, "retention_days": 0})
    )
    assert s.reminder_after is not None and s.retention is None
    with pytest.raises(ConfigError, match="must be less than"):
        WorkflowSettings(reminder_after_minutes=300, escalate_after_minutes=200)
    with pytest.raises(ConfigError, match="negative"):
        WorkflowSettings(retention_days=-1)
    with pytest.raises(ConfigError, match="unknown workflow key"):
        WorkflowSettings.from_config(Config(workflow={"remind": 1}))


def _f(cat: str, start: int | None, end: int | None, text: str) -> Finding:
    quote = text[start:end] if start is not None and end is not None else None
    return Finding(f"{cat}.x", cat, Severity.NEEDS_APPROVAL, start, end, quote, "m", "s", "p")


def test_redaction_moves_every_offset() -> None:
    text = "Email jo@example.org or ring 07700 900123 #SaveOurLibrary"
    email = _f("confidentiality", 6, 20, text)
    phone = _f("confidentiality", 29, 41, text)
    tag = _f("accessibility", 42, 57, text)
    whole = _f("strategy", None, None, text)
    spanning = _f("reputation", 0, 25, text)  # ends inside the phone number? no: inside "ring"
    new_text, v = redact(text, Verdict([email, phone, tag, whole, spanning], "p")) or ("", None)
    assert new_text == "Email [REDACTED] or ring [REDACTED] #SaveOurLibrary"
    assert v is not None
    e, p, t, w, sp = v.findings
    assert new_text[e.start : e.end] == "[REDACTED]" == e.quote
    assert new_text[p.start : p.end] == "[REDACTED]" == p.quote
    assert new_text[t.start : t.end] == "#SaveOurLibrary" == t.quote
    assert w.start is None and w.quote is None
    assert new_text[sp.start : sp.end] == "Email [REDACTED] or r"


def test_redaction_merges_overlaps_and_ignores_bad_offsets() -> None:
    text = "NHS 943 476 5919"
    a = _f("confidentiality", 4, 16, text)
    b = _f("confidentiality", 8, 11, text)
    bad = _f("confidentiality", 10, 99, text)
    out = redact(text, Verdict([a, b, bad], "p"))
    assert out is not None and out[0] == "NHS [REDACTED]"
    assert redact(text, Verdict([_f("legal", 0, 3, text)], "p")) is None


def test_parse_since() -> None:
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T09:30") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert parse_since(None) is None
    with pytest.raises(InputError, match="--since"):
        parse_since("last week")


def test_export_formats_and_since(wf: Workflow, submit: Callable[..., Any], clock: Any) -> None:
    a = submit()
    wf.decide(a.id, "approve", by=Actor("cli", "bob", "=HYPERLINK(evil)"))
    clock.advance(days=3)
    b = submit()
    buf = io.StringIO()
    assert export_audit(wf.store, buf, fmt="csv") == 3
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [r["action"] for r in rows] == ["submit", "decide", "submit"]
    assert rows[1]["decision"] == "approve" and rows[1]["state"] == "approved"
    assert rows[1]["actor_name"] == "'=HYPERLINK(evil)"  # neutralised for spreadsheets
    assert rows[0]["review_decision"] == "needs_approval" and rows[0]["categories"] == "reputation"
    buf = io.StringIO()
    n = export_audit(wf.store, buf, fmt="jsonl", since=clock.now)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert n == 1 and lines[0]["submission_id"] == b.id
    with pytest.raises(InputError, match="allowed: csv, jsonl"):
        export_audit(wf.store, io.StringIO(), fmt="xml")
