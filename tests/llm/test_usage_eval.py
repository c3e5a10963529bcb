"""What the model cost, measured: check --json "usage", eval --llm's "llm" object, the meter.

Token counts come from the API's ``usage`` field: the loopback fake reports
about four characters a token, as OpenAI's tokenisers do for English.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import Config
from bot.errors import ConfigError
from bot.llm.client import (
    DEFAULT_LOCAL_TIMEOUT,
    DEFAULT_TIMEOUT,
    is_local_endpoint,
    settings_from_config,
)
from bot.llm.fake import FakeOpenAI
from bot.llm.usage import Call, Meter, metering, percentile, record
from bot.review import CRITICS, get_critic, review
from bot.verdict import Draft, Severity, Verdict

LABELLED = [
    {"id": "a", "text": "Lovely day at the park", "expected": "ok", "categories": []},
    {
        "id": "b",
        "text": "Text me on 07700 900456 tonight",
        "expected": "do_not_post",
        "categories": ["confidentiality"],
    },
    {
        "id": "c",
        "text": "Our library opens on Saturday with free activities",
        "expected": "ok",
        "categories": [],
    },
]


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_check_json_reports_usage_from_the_api(
    fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", "--json", "Our library opens on Saturday with free activities"])
    out = json.loads(capsys.readouterr().out)
    usage = out["usage"]
    (req,) = fake.completions
    sent = sum(len(m["content"]) for m in req.body["messages"])
    assert usage["requests"] == 1
    assert usage["prompt_tokens"] == (sent + 3) // 4  # what the fake's usage said
    assert usage["completion_tokens"] > 0
    assert usage["latency_ms"] > 0
    assert "cost" not in usage  # no price configured


def test_check_json_has_no_usage_without_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--json", "Lovely day at the park"])
    assert "usage" not in json.loads(capsys.readouterr().out)


def test_check_json_usage_has_a_cost_with_a_price(
    fake: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(
        tmp_path, "llm:\n  cache_size: 0\n  price_per_million: {prompt: 2, completion: 8}\n"
    )
    monkeypatch.setenv("CANIPOST_CONFIG", str(config))
    main(["check", "--json", "Our library opens on Saturday"])
    usage = json.loads(capsys.readouterr().out)["usage"]
    expected = (usage["prompt_tokens"] * 2 + usage["completion_tokens"] * 8) / 1e6
    assert usage["cost"] == pytest.approx(expected)


def test_eval_llm_json_reports_cost_latency_failures_and_agreement(
    fake: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(x) for x in LABELLED), encoding="utf-8")
    config = write_config(tmp_path, "llm:\n  price_per_million: 1.5\n")
    monkeypatch.setenv("CANIPOST_CONFIG", str(config))
    assert main(["eval", str(data), "--llm", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    llm = report["llm"]
    assert llm["requests"] == len(fake.completions) == 3
    assert llm["prompt_tokens"] > 3 * 1000 and llm["completion_tokens"] > 0
    assert llm["cost"] == pytest.approx(
        (llm["prompt_tokens"] + llm["completion_tokens"]) * 1.5 / 1e6, abs=1e-6
    )
    assert 0 < llm["latency_p50_ms"] <= llm["latency_p95_ms"]
    assert llm["failed"] == 0
    assert 5000 < llm["prompt_chars_p50"] <= llm["prompt_chars_max"] <= 12000
    agreement = llm["agreement"]
    # The fake adds an advisory finding to every draft: rules "ok" became "advise".
    assert agreement["per_decision"]["ok"] == {
        "drafts": 2,
        "same": 0,
        "agreement": 0.0,
        "raised": {"advise": 2},
    }
    assert agreement["per_decision"]["do_not_post"]["agreement"] == 1.0
    assert llm["rules_only"]["exact_decision"] == 1.0
    assert report["exact_decision"] == pytest.approx(1 / 3)


def test_eval_llm_text_report_shows_the_same_figures(
    start_fake: Callable[..., FakeOpenAI], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start_fake("server_error")
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(x) for x in LABELLED[:2]), encoding="utf-8")
    assert main(["eval", str(data), "--llm"]) == 0
    out = capsys.readouterr().out
    assert "LLM: 2 critiques" in out and "2 failed" in out
    assert "cost           n/a (set llm.price_per_million)" in out
    assert "latency        p50" in out and "agreement" in out and "rules alone" in out


def test_eval_without_llm_has_no_llm_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text(json.dumps(LABELLED[0]), encoding="utf-8")
    main(["eval", str(data), "--json"])
    assert "llm" not in json.loads(capsys.readouterr().out)


def test_a_failed_critique_still_counts_its_requests(
    start_fake: Callable[..., FakeOpenAI], config: Config
) -> None:
    start_fake("server_error")
    with metering() as meter:
        v = review(Draft("Lovely day at the park"), config=config, use_llm=True)
    assert v.llm == "failed"
    (call,) = meter.calls
    assert call.failed and call.requests >= 2  # 5xx is retried


def test_meters_nest_and_do_not_leak_between_contexts() -> None:
    record(Call("critique", requests=9))  # no meter open: nothing happens
    with metering() as outer:
        record(Call("critique", requests=1, ms=10))
        with metering() as inner:
            record(Call("critique", requests=2, ms=30, cost=0.5))
    assert outer.requests == 3 and inner.requests == 2
    assert outer.cost is None and inner.cost == 0.5  # one call had no price
    assert Meter().summary()["latency_p50_ms"] is None


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95
    assert percentile([7.0], 95) == 7.0 and percentile([], 50) is None


# ---------------------------------------------------------------------- local endpoints


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://10.1.2.3/v1", True),
        ("http://192.168.0.9:8080/v1", True),
        ("http://172.20.0.5/v1", True),
        ("http://ollama:11434/v1", True),  # a container on the same private network
        ("http://gpu-box.local/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://myorg.openai.azure.com", False),
        ("http://8.8.8.8/v1", False),
        (None, False),
    ],
)
def test_local_endpoints_are_recognised(url: str | None, local: bool) -> None:
    assert is_local_endpoint(url) is local


def test_a_local_endpoint_gets_a_longer_default_timeout() -> None:
    local = settings_from_config(Config(), environ={"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"})
    hosted = settings_from_config(Config(), environ={"OPENAI_API_KEY": "sk-x"})
    chosen = settings_from_config(
        Config(llm={"timeout": 12}), environ={"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}
    )
    assert (local.timeout, hosted.timeout, chosen.timeout) == (
        DEFAULT_LOCAL_TIMEOUT,
        DEFAULT_TIMEOUT,
        12,
    )
    assert local.local and not hosted.local


@pytest.mark.parametrize(
    ("llm", "message"),
    [
        ({"protocol": "most"}, "llm.protocol must be one of relevant, full"),
        ({"price_per_million": {"prompt": 1}}, "llm.price_per_million must be"),
        ({"price_per_million": {"prompt": "a", "completion": 1}}, "llm.price_per_million must be"),
    ],
)
def test_bad_llm_settings_are_one_clear_line(llm: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_config(Config(llm=llm), environ={})


def test_a_bad_price_in_the_config_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, "llm:\n  price_per_million: cheap\n")
    assert main(["check", "--config", str(config), "Hello"]) == 2
    err = capsys.readouterr().err
    assert "price_per_million" in err and "Traceback" not in err


# ---------------------------------------------------------------------- the critic registry


class Shouty:
    """A critic that is always on and adds nothing but a summary."""

    name = "shouty"

    def __init__(self) -> None:
        self.calls = 0

    def enabled(self, config: Config) -> bool:
        return True

    def __call__(self, draft: Draft, verdict: Verdict, *, config: Config) -> Verdict:
        self.calls += 1
        verdict.critique = "LOUD"
        return verdict


def test_review_takes_a_critic(config: Config) -> None:
    shouty = Shouty()
    v = review(Draft("Lovely day at the park"), config=config, critic=shouty)
    assert (v.critique, shouty.calls) == ("LOUD", 1)
    assert review(Draft("Lovely day"), config=config, critic=shouty, use_llm=False).critique is None


def test_the_llm_is_the_built_in_critic_and_unknown_ones_are_skipped(config: Config) -> None:
    assert CRITICS["llm"] == "bot.llm.critic:critic"
    llm = get_critic("llm")
    assert llm is not None and llm.name == "llm" and not llm.enabled(config)  # no key here
    assert get_critic("no-such-critic") is None
    v = review(Draft("Lovely day"), config=config, critic="no-such-critic", use_llm=True)
    assert v.llm == "off" and v.decision == Severity.OK


def test_rules_only_check_never_loads_the_sdk() -> None:
    """Deciding that no model is configured costs no openai import (check stays fast)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bot.cli.main import main\n"
        "main(['check', '--json', 'Lovely day at the park'])\n"
        "print('openai' in sys.modules, 'bot.llm.client' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_"))}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False False"
