"""Broken policy files fail loudly, naming the file and line (Vale's habit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import PolicyError
from bot.policy import clear_cache, default_policy_dir, load_policy

GOOD = """kind: lexicon
terms: [badword]
category: conflict
severity: advise
message: m
suggestion: s
policy_ref: protocol#dont-get-into-a-row
examples: {flag: ["a badword here"], pass: ["fine"]}
"""


@pytest.fixture()
def policy_dir(tmp_path: Path) -> Path:
    src = default_policy_dir()
    d = tmp_path / "policy"
    (d / "packs" / "mini").mkdir(parents=True)
    (d / "profiles").mkdir()
    shutil.copy(src / "protocol.md", d / "protocol.md")
    (d / "profiles" / "council.yaml").write_text("packs: [mini]\n")
    (d / "packs" / "mini" / "rule.yaml").write_text(GOOD)
    clear_cache()
    return d


def _load(d: Path) -> None:
    clear_cache()
    load_policy(Config(), directory=d)


def test_good_minimal_policy_loads(policy_dir: Path) -> None:
    clear_cache()
    pol = load_policy(Config(), directory=policy_dir)
    assert [r.id for r in pol.rules] == ["mini.rule"]
    assert len(pol.version) == 12


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda s: s.replace("terms:", "termz:"), "rule.yaml:2: unknown key 'termz'"),
        (
            lambda s: s.replace("kind: lexicon", "kind: lexicn"),
            "rule.yaml:1: unknown kind 'lexicn'",
        ),
        (
            lambda s: s.replace("category: conflict", "category: rudeness"),
            "rule.yaml:3: unknown category 'rudeness'",
        ),
        (
            lambda s: s.replace("severity: advise", "severity: block"),
            "rule.yaml:4: unknown severity 'block'",
        ),
        (
            lambda s: s.replace("dont-get-into-a-row", "no-such-section"),
            "rule.yaml:7: no protocol section with anchor 'no-such-section'",
        ),
        (
            lambda s: s.replace('pass: ["fine"]', "pass: []"),
            "give at least one 'flag' and one 'pass' example",
        ),
        (lambda s: s.replace("examples:", "exemples:"), "missing required field 'examples'"),
        (
            lambda s: s.replace(
                "kind: lexicon\nterms: [badword]", "kind: pattern\npatterns: ['(unclosed']"
            ),
            "bad regular expression '(unclosed'",
        ),
        (lambda s: s.replace("message: m\n", ""), "missing required field 'message'"),
        (lambda s: s + "  - [unbalanced\n", "not valid YAML"),
        (
            lambda s: s.replace(
                "kind: lexicon\nterms: [badword]", "kind: metric\nmetric: loudness\nmax: 1"
            ),
            "unknown metric 'loudness'",
        ),
        (
            lambda s: s.replace("kind: lexicon\nterms: [badword]", "kind: detector\ndetector: ssn"),
            "unknown detector 'ssn'",
        ),
    ],
)
def test_broken_rule_names_file_and_line(policy_dir: Path, edit, needle: str) -> None:  # type: ignore[no-untyped-def]
    f = policy_dir / "packs" / "mini" / "rule.yaml"
    f.write_text(edit(GOOD))
    with pytest.raises(PolicyError) as exc:
        _load(policy_dir)
    assert needle in str(exc.value)
    assert str(f) in str(exc.value)


def test_unknown_pack_and_override(policy_dir: Path) -> None:
    (policy_dir / "profiles" / "council.yaml").write_text("packs: [mini, nope]\n")
    with pytest.raises(PolicyError, match="no pack named 'nope'"):
        _load(policy_dir)
    (policy_dir / "profiles" / "council.yaml").write_text(
        "packs: [mini]\noverrides: {mini.other: advise}\n"
    )
    with pytest.raises(PolicyError, match=r"unknown rule 'mini\.other'"):
        _load(policy_dir)


def test_override_off_and_severity(policy_dir: Path) -> None:
    (policy_dir / "profiles" / "council.yaml").write_text(
        "packs: [mini]\noverrides: {mini.rule: do_not_post}\n"
    )
    clear_cache()
    assert load_policy(Config(), directory=policy_dir).rules[0].severity.label == "do_not_post"
    (policy_dir / "profiles" / "council.yaml").write_text(
        "packs: [mini]\noverrides: {mini.rule: off}\n"
    )
    clear_cache()
    assert load_policy(Config(), directory=policy_dir).rules == []


def test_policy_version_changes_with_a_rule(policy_dir: Path) -> None:
    clear_cache()
    v1 = load_policy(Config(), directory=policy_dir).version
    (policy_dir / "packs" / "mini" / "rule.yaml").write_text(GOOD.replace("badword", "worseword"))
    clear_cache()
    assert load_policy(Config(), directory=policy_dir).version != v1
