"""What may go on the list: one clear reason for each refusal."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.watch.kinds import KINDS, parse_kind, parse_severity
from bot.watch.terms import canonical_keys, common_words, surname_of, validate_term, variants


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "is empty"),
        ("   \t ", "is empty"),
        ("!!!", "no letters or digits"),
        ("ab", "too short"),
        ("a b", "too short"),
        ("the", "common word"),
        ("bin", "common word"),
        ("Strike", "common word"),
        ("x" * 201, "limit is 200"),
    ],
)
def test_bad_terms_are_refused_with_one_line(raw: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        validate_term(raw)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("raw", ["bin strike", "Project Lighthouse", "Kingfisher", "NHS", "Patel"])
def test_good_terms_are_cleaned(raw: str) -> None:
    assert validate_term(f"  {raw}  ") == raw


def test_common_word_list_is_real_data() -> None:
    words = common_words()
    assert len(words) > 5000
    assert {"the", "bin", "strike", "hall"} <= words
    assert not {"lighthouse", "patel", "kingfisher", "flamborough"} & words


def test_unknown_kind_and_severity() -> None:
    with pytest.raises(InputError, match="unknown kind 'strike'; allowed: case, injunction"):
        parse_kind("strike")
    with pytest.raises(InputError, match="unknown severity 'ok'"):
        parse_severity("ok")
    assert parse_kind(" Embargo ").name == "embargo"


def test_every_kind_cites_an_existing_protocol_section() -> None:
    from bot.resources import data_dir

    protocol = (data_dir("policy") / "protocol.md").read_text(encoding="utf-8")
    for kind in KINDS.values():
        anchor = kind.policy_ref.removeprefix("protocol#")
        assert f"<!-- anchor: {anchor} -->" in protocol, kind.name


def test_variants_and_duplicate_keys() -> None:
    v = variants("Project Lighthouse")
    assert v == {
        "project lighthouse",
        "projectlighthouse",
        "lighthouse project",
        "lighthouseproject",
        "lighthouse, project",
    }
    assert canonical_keys("lighthouse-project") & canonical_keys("Project Lighthouse")
    assert {"sean o'brien", "sean obrien", "seano'brien"} <= variants("Sean O\u2019Brien")
    assert variants("KF-7") == {"kf 7", "kf7"}


@pytest.mark.parametrize(
    ("term", "surname"),
    [
        ("Priya Patel", "patel"),
        ("R v Jones", "jones"),
        ("Patel trial", "patel"),
        ("Dr Sarah Hall", "hall"),
        ("John Smith Jr", "smith"),
        ("Kingfisher", None),
        ("Li Wu", None),
    ],
)
def test_surname_of(term: str, surname: str | None) -> None:
    assert surname_of(term) == surname
