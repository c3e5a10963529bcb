"""`canipost check` as users and scripts run it: a real process, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CANIPOST_"))}


def run(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        env={**ENV, **(env or {})},
        timeout=120,
    )


def no_traceback(p: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in p.stderr and b"Traceback" not in p.stdout


def test_kickoff_draft_human_output() -> None:
    p = run("check", "Mrs Patel in bed 4 went home after her stroke")
    assert p.returncode == 1
    out = p.stdout.decode()
    assert out.startswith("DO NOT POST")
    assert "[Mrs Patel in bed 4 went home after her stroke]" in out
    assert "Policy: Confidential information (protocol#confidential-information)" in out


def test_ok_and_advise_exit_zero() -> None:
    assert run("check", "Call 0300 123 4567 or email info@example.gov.uk").returncode == 0
    p = run("check", "--json", "Join us for #worldkindnessday on Friday")
    assert p.returncode == 0 and json.loads(p.stdout)["decision"] == "advise"


def test_json_contract_and_stdin() -> None:
    p = run("check", "--json", "--channel", "x", "-", stdin=b"Text me on 07700 900456")
    assert p.returncode == 1
    v = json.loads(p.stdout)
    assert v["decision"] == "do_not_post" and v["llm"] == "off"
    f = v["findings"][0]
    assert (
        f["quote"] == "07700 900456"
        and "Text me on 07700 900456"[f["start"] : f["end"]] == f["quote"]
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("check", ""), None, "the draft is empty"),
        (("check", "   "), None, "the draft is empty"),
        (("check", "-"), b"\xff\xfe\x00bad", "not valid UTF-8"),
        (("check",), None, "no draft given"),
        (("check", "hi", "--channel", "myspace"), None, "unknown channel 'myspace'"),
        (("check", "hi", "--profile", "school"), None, "unknown profile 'school'"),
        (("check", "hi", "--config", "/nonexistent.yaml"), None, "config file not found"),
        (("check", "-"), b"x" * 1_000_000, "the limit is 200,000"),
    ],
)
def test_bad_input_exit_2_with_one_line(
    args: tuple[str, ...], stdin: bytes | None, message: str
) -> None:
    p = run(*args, stdin=stdin)
    assert p.returncode == 2, p.stderr
    no_traceback(p)
    assert message in p.stderr.decode()


def test_broken_policy_names_file_and_line(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "policy"
    import shutil

    shutil.copytree(src, tmp_path / "policy")
    rule = tmp_path / "policy/packs/strategy/shouting.yaml"
    rule.write_text(rule.read_text().replace("metric: shouting", "metric: shouting\nloudness: 11"))
    p = run("check", "hello", env={"CANIPOST_POLICY_DIR": str(tmp_path / "policy")})
    assert p.returncode == 2
    no_traceback(p)
    assert f"{rule}:3: unknown key 'loudness'" in p.stderr.decode()
    lint = run("policy", "lint", env={"CANIPOST_POLICY_DIR": str(tmp_path / "policy")})
    assert lint.returncode == 2 and "loudness" in lint.stderr.decode()


def test_jsonl_batch_keeps_order_and_goes_on(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "Our libraries open late on Thursdays."}),
        "this is not json",
        json.dumps({"id": "c", "text": "Text me on 07700 900456", "channel": "facebook"}),
        json.dumps({"id": "d"}),
        json.dumps({"id": 5, "text": "hello", "channel": "myspace"}),
        "",
        json.dumps({"text": "Sort code 20-00-00 account 55779911"}),
    ]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(lines) + "\n")
    p = run("check", "--jsonl", str(f))
    assert p.returncode == 2
    no_traceback(p)
    out = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c", "d", 5, None]
    assert out[0]["decision"] == "ok" and out[2]["decision"] == "do_not_post"
    assert "not JSON" in out[1]["error"] and "no 'text'" in out[3]["error"]
    assert "unknown channel" in out[4]["error"]
    assert out[5]["decision"] == "do_not_post"


def test_jsonl_from_stdin_all_good_exit_reflects_risk() -> None:
    data = "\n".join(
        json.dumps({"id": i, "text": t}) for i, t in enumerate(["hello there", "Lovely day"])
    )
    p = run("check", "--jsonl", "-", stdin=data.encode())
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 2


def test_policy_test_and_list() -> None:
    p = run("policy", "test")
    assert p.returncode == 0 and b" 0 failed" in p.stdout
    p = run("policy", "list", "--profile", "business", "--json")
    rules = json.loads(p.stdout)["rules"]
    assert {
        "rule": "representation.party_politics",
        "kind": "lexicon",
        "category": "representation",
        "severity": "advise",
        "policy_ref": "protocol#political-neutrality",
    } in rules


def test_eval_prints_the_four_measures(tmp_path: Path) -> None:
    f = tmp_path / "dev.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {
                    "id": "1",
                    "text": "Lovely day at the park",
                    "channel": "twitter",
                    "expected": "ok",
                    "categories": [],
                },
                {
                    "id": "2",
                    "text": "Text me on 07700 900456",
                    "channel": "twitter",
                    "expected": "do_not_post",
                    "categories": ["confidentiality"],
                },
                {
                    "id": "3",
                    "text": "Vote Labour!",
                    "channel": "twitter",
                    "expected": "needs_approval",
                    "categories": ["representation"],
                },
            ]
        )
    )
    p = run("eval", str(f), "--json")
    rep = json.loads(p.stdout)
    assert rep["risky_recall"] == 1.0 and rep["block_recall"] == 1.0 and rep["false_alarms"] == 0.0
    assert rep["category_hits"] == 1.0 and rep["misses"] == []


def test_help_is_complete() -> None:
    p = run("--help")
    out = p.stdout.decode()
    for cmd in ("check", "policy", "eval"):
        assert cmd in out
    assert "--jsonl" in run("check", "--help").stdout.decode()


def test_checks_counted_text_free_only_with_a_database(tmp_path: Path) -> None:
    """The dashboard counts CLI checks when DATABASE_URL is set; never the text, never a stray db."""
    import sqlite3

    db = tmp_path / "checks.db"
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    assert run("check", "Mrs Patel in bed 4 went home", env=env).returncode == 1
    batch = b'{"text": "Lovely day"}\n{"text": "Text me on 07700 900456"}\nnot json\n'
    p = run("check", "--jsonl", "-", stdin=batch, env=env)
    assert p.returncode == 2
    no_traceback(p)
    rows = (
        sqlite3.connect(db).execute("SELECT decision, platform, rules FROM check_stats").fetchall()
    )
    assert sorted(r[0] for r in rows) == ["do_not_post", "do_not_post", "ok"]
    assert {r[1] for r in rows} == {"cli"}
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert "Patel" not in dump and "07700" not in dump
