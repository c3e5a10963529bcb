"""`canipost check --json` with the critique on, through the fake (in process and as a command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.cli.main import main
from bot.llm.fake import FakeOpenAI


def test_check_json_uses_the_llm_when_configured(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--json", "Our library opens on Saturday with free activities"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["llm"] == "used"
    assert out["decision"] == "advise"
    assert any(f["source"] == "llm" for f in out["findings"])
    assert out["rewrite"].startswith("Rewritten: ")
    assert len(fake.completions) == 1


def test_no_llm_flag_keeps_it_off(fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--json", "--no-llm", "Our library opens on Saturday"])
    assert json.loads(capsys.readouterr().out)["llm"] == "off"
    assert fake.completions == []


def test_human_output_shows_critique_rewrite_and_failure_reason(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", "Our library opens on Saturday"])
    out = capsys.readouterr().out
    assert "(AI)" in out and "AI critique: Fake review" in out and "Safer rewrite:" in out
    fake.mode = "server_error"
    code = main(["check", "Text me on 07700 900456 tonight please"])
    out = capsys.readouterr().out
    assert code == 1
    assert "AI critique unavailable: the AI service failed (HTTP 500)" in out


def test_batch_reviews_each_line_and_survives_a_dead_endpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    batch = tmp_path / "in.jsonl"
    batch.write_text(
        "\n".join(json.dumps({"id": str(i), "text": f"Park run number {i}"}) for i in range(4))
    )
    assert main(["check", "--jsonl", str(batch)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["llm"] for x in lines] == ["failed"] * 4
    assert (
        "not retried" in lines[-1]["llm_reason"]
    )  # the circuit breaker spared the last ones the waits


def test_console_script_end_to_end(fake: FakeOpenAI) -> None:
    env = {**os.environ, "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.url}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--json", "Call Dave on 07700 900456"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["llm"] == "used" and out["decision"] == "do_not_post"
    assert "07700 900456" not in fake.completions[0].raw
