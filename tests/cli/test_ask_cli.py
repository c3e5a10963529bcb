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


# ---------------------------------------------------------------------- --thread


def test_a_thread_remembers_the_conversation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--json",
        "--thread",
        "t1",
        "can i tweet abt the trial of the bloke who attacked our nurse",
    )
    first = json.loads(out)
    assert code == 0 and (first["thread"], first["turn"]) == ("t1", "question")
    assert first["citations"][0]["anchor"] == "protocol#court-cases"
    _, out, _ = run(capsys, "--json", "--thread", "t1", "what about on my personal account?")
    follow = json.loads(out)
    assert follow["turn"] == "followup"
    assert "protocol#court-cases" in [c["anchor"] for c in follow["citations"][:2]]
    # Alone, the same words are about personal accounts, not the trial.
    _, out, _ = run(capsys, "--json", "what about on my personal account?")
    assert "thread" not in json.loads(out)
    assert "protocol#court-cases" not in [c["anchor"] for c in json.loads(out)["citations"]]


def test_a_draft_in_a_thread_is_reviewed_and_then_explained(
    capsys: pytest.CaptureFixture[str],
) -> None:
    draft = "what if I wrote: Mrs Patel in bed 4 went home after her stroke"
    code, out, _ = run(capsys, "--json", "--thread", "d1", draft)
    data = json.loads(out)
    assert code == 0 and data["turn"] == "draft"
    assert data["verdict"]["decision"] == "do_not_post"
    assert data["citations"][0]["anchor"] == "protocol#confidential-information"
    _, out, _ = run(capsys, "--thread", "d1", "why is that a problem?")
    assert "\u201cMrs Patel in bed 4 went home after her stroke\u201d:" in out
    assert "(thread d1, llm off)" in out


def test_threads_are_per_user(capsys: pytest.CaptureFixture[str]) -> None:
    run(
        capsys,
        "--thread",
        "shared",
        "--user",
        "amy",
        "what if I wrote: Mrs Patel in bed 4 is poorly",
    )
    _, out, _ = run(
        capsys, "--json", "--thread", "shared", "--user", "bob", "why is that a problem?"
    )
    data = json.loads(out)
    assert data["turn"] == "off_topic" and data["citations"] == []
    _, out, _ = run(
        capsys, "--json", "--thread", "shared", "--user", "amy", "why is that a problem?"
    )
    assert json.loads(out)["turn"] == "verdict"


def test_thread_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--thread", "t9", "   ")
    assert code == 2 and out == "" and err.startswith("canipost: no question given")
    code, out, err = run(capsys, "--thread", " ", "Can I comment on a court case?")
    assert (
        code == 2
        and out == ""
        and err.strip() == ("canipost: --thread needs an id, for example: --thread court-question")
    )


def test_ask_without_a_thread_needs_no_database(tmp_path: object) -> None:
    """No --thread and no model: no SQLAlchemy or openai import, a dead DATABASE_URL untouched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI"))}
    env["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    code = (
        "import sys, json; from bot.cli.main import main; rc = main(['ask', '--json', "
        "'Can I comment on a court case?']); "
        "print(json.dumps({'rc': rc, 'sa': 'sqlalchemy' in sys.modules, "
        "'openai': 'openai' in sys.modules}), file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == {
        "rc": 0,
        "sa": False,
        "openai": False,
    }
    assert json.loads(proc.stdout)["citations"][0]["anchor"] == "protocol#court-cases"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--thread", "x", "Can I comment on a court case?"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        proc.stderr.startswith("canipost: cannot open the database")
        and "Traceback" not in proc.stderr
    )
    assert len(proc.stderr.strip().splitlines()) == 1
