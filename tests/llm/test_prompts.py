"""Prompt templates are files, validated strictly; no prompt text lives in Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.llm.prompts import default_prompts_dir, load_prompt, parse_prompt
from bot.verdict import CATEGORIES

NAMES = ("critique", "rewrite", "ask", "repair")


@pytest.mark.parametrize("name", NAMES)
def test_every_prompt_is_valid_and_documents_its_variables(name: str) -> None:
    prompt = load_prompt(name)
    assert prompt.name == name
    assert prompt.variables and all(d.strip() for d in prompt.variables.values())
    assert len(prompt.version) == 12


def test_critique_prompt_names_every_category_and_severity() -> None:
    text = (default_prompts_dir() / "critique.md").read_text(encoding="utf-8")
    for category in CATEGORIES:
        assert f"- {category}:" in text
    for severity in ("advise", "needs_approval", "do_not_post"):
        assert f"{severity} (" in text


def test_message_prompts_have_system_and_user_parts() -> None:
    for name in ("critique", "ask"):
        assert set(load_prompt(name).parts) == {"system", "user"}
    assert set(load_prompt("rewrite").parts) == {"text"}


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "t.md"
    p.write_text(body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("no front matter", "front matter"),
        ("---\nname: t\nvars: {}\n---\nhi", "unknown key 'vars'"),
        (
            "---\nname: t\nvariables: {a: the a}\n---\nhi $a and $b",
            r"\$b is used but not documented",
        ),
        (
            "---\nname: t\nvariables: {a: the a, b: the b}\n---\nhi $a",
            "'b' is documented but not used",
        ),
        ("---\nname: t\nvariables: {}\n---\ncosts $5", r"write \$\$ for a dollar"),
        ("---\nname: t\nvariables: {}\n---\nstray\n=== user ===\nhi", "text before the first"),
    ],
)
def test_invalid_templates_fail_loudly_naming_the_file(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_prompt(_write(tmp_path, body))
    assert str(tmp_path / "t.md") in str(info.value)


def test_rendering_needs_exactly_the_documented_variables(tmp_path: Path) -> None:
    p = parse_prompt(
        _write(tmp_path, "---\nname: t\nvariables: {a: the a}\n---\n=== user ===\nhi $a, $$5")
    )
    assert p.messages(a="you") == [{"role": "user", "content": "hi you, $5"}]
    with pytest.raises(ConfigError, match="missing"):
        p.messages()
    with pytest.raises(ConfigError, match="unexpected"):
        p.messages(a="x", b="y")


def test_no_prompt_text_in_python() -> None:
    llm = Path(__file__).resolve().parents[2] / "bot" / "llm"
    for f in [*llm.glob("*.py"), *(llm.parent / "ask").glob("*.py")]:
        if f.name == "fake.py":
            continue  # the fake plays the model: it answers, it does not prompt
        text = f.read_text(encoding="utf-8")
        assert "You are" not in text and "ignore previous instructions" not in text.lower(), f
