"""`canipost ask`: human and JSON output, --no-llm, errors, and the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.cli.main import main
from bot.llm import reset
from bot.llm.fake import FakeOpenAI


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "CANIPOST_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CANIPOST_LLM_BACKOFF", "0.001")
    reset()
    yield
    reset()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as f:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", f.url)
        yield f


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["ask", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "Can I comment on a court case?")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"answer", "citations", "llm"}
    assert data["llm"] == "off"
    assert data["citations"][0] == {
        "section": "Active court cases and contempt",
        "anchor": "protocol#court-cases",
        "quote": "Don't comment on a live court case.",
    }


def test_human_output_lists_the_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "Do", "I", "need", "to", "say", "#ad?")  # unquoted words work too
    assert code == 0
    assert "Sources:" in out and "(protocol#paid-promotion)" in out
    assert out.rstrip().endswith("(llm off)")


def test_off_topic_is_answered_politely_with_status_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "How do I bake a cake?")
    data = json.loads(out)
    assert code == 0 and data["citations"] == [] and "only answer questions" in data["answer"]


def test_llm_answer_and_no_llm_flag(fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--json", "Can I post a photo of children from a school visit?")
    data = json.loads(out)
    assert data["llm"] == "used" and data["citations"][0]["anchor"] == "protocol#safeguarding"
    _, out, _ = run(
        capsys, "--json", "--no-llm", "Can I post a photo of children from a school visit?"
    )
    assert json.loads(out)["llm"] == "off"
    assert len(fake.completions) == 1


def test_a_failing_model_is_reported_in_one_line(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.mode = "server_error"
    code, out, _ = run(capsys, "Can I comment on a court case?")
    assert code == 0
    assert "(llm failed: the AI service failed (HTTP 500); answered from the policy text)" in out


def test_empty_question_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "  ")
    assert code == 2 and out == ""
    assert err.startswith("canipost: no question given") and "Traceback" not in err


def test_help_documents_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    out = capsys.readouterr().out
    for words in ("--json", "--no-llm", "OPENAI_API_KEY", "Exit status"):
        assert words in out


def test_console_script(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI"))}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "Can I say what I think about the council's budget?"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    cited = {c["anchor"] for c in json.loads(proc.stdout)["citations"]}
    assert cited & {"protocol#speaking-for-the-organisation", "protocol#political-neutrality"}
    assert proc.stderr == ""
