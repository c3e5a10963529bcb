"""Policy Q&A: the right sections cited, with and without a model, and the fallbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.ask import OFF_TOPIC, Answer, ask, index_for, offline_answer, split_units
from bot.config import Config
from bot.errors import InputError
from bot.llm import reset
from bot.llm.fake import FakeOpenAI
from bot.policy import load_policy

#: Each question, and the sections of which at least one must be cited first or among the citations.
QUESTIONS: list[tuple[str, set[str]]] = [
    ("Can I comment on a court case?", {"court-cases"}),
    ("Can I post a photo of children from a school visit?", {"safeguarding"}),
    ("Do I need to say #ad?", {"paid-promotion"}),
    (
        "Can I say what I think about the council's budget?",
        {"speaking-for-the-organisation", "political-neutrality"},
    ),
    ("Can I comment on a court case on Facebook?", {"court-cases"}),
    ("Can I swear at a troll?", {"dont-get-into-a-row"}),
    ("Can I retweet a party political post?", {"political-neutrality"}),
    ("How do I write alt text?", {"accessibility"}),
]
OFF_TOPIC_QUESTIONS = [
    "How do I bake a cake?",
    "What's the weather like in Leeds tomorrow?",
    "Who won the football last night?",
    "What is 2+2?",
]


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
def start_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeOpenAI]]:
    fakes: list[FakeOpenAI] = []

    def start(mode: str = "good", **kwargs: Any) -> FakeOpenAI:
        fake = FakeOpenAI(mode, **kwargs).start()
        fakes.append(fake)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        return fake

    yield start
    for fake in fakes:
        fake.stop()


def anchors(answer: Answer) -> list[str]:
    return [c.anchor.removeprefix("protocol#") for c in answer.citations]


# ---------------------------------------------------------------------- without a model


@pytest.mark.parametrize(("question", "expected"), QUESTIONS)
def test_offline_answers_cite_the_right_sections(question: str, expected: set[str]) -> None:
    a = ask(question, config=Config())
    assert a.llm == "off" and not a.off_topic
    assert anchors(a)[0] in expected, anchors(a)
    policy = load_policy(Config())
    for c in a.citations:
        section = policy.sections[c.anchor.removeprefix("protocol#")]
        assert c.section == section.heading
        assert c.quote
        for unit in split_units(section.text):
            if unit in c.quote:
                break
        else:
            pytest.fail(f"quote {c.quote!r} is not made of the section's own sentences")


def test_offline_answer_says_what_you_can_do() -> None:
    a = ask("can I comment on a court case?", config=Config(), use_llm=False)
    assert "What you can do: Repeat only the facts" in a.answer
    assert a.citations[0].anchor == "protocol#court-cases"


def sentences(text: str) -> list[str]:
    """Sentences outside quoted examples (a quoted post may hold several of its own)."""
    import re

    def stand_in(m: re.Match[str]) -> str:
        return "Q." if m.group(0)[:-1].rstrip().endswith((".", "!", "?")) else "Q"

    unquoted = re.sub(r'"[^"]*"|\u201c[^\u201d]*\u201d|\([^)]*\)', stand_in, text)
    return [s for s in re.split(r"(?<=[.!?])\s+", unquoted) if s.strip()]


@pytest.mark.parametrize(("question", "expected"), QUESTIONS)
def test_offline_answers_say_what_not_to_do_what_to_do_and_whom_to_ask(
    question: str, expected: set[str]
) -> None:
    """2-4 sentences built from the section: not one quoted sentence."""
    a = ask(question, config=Config(), use_llm=False)
    assert 2 <= len(sentences(a.answer)) <= 4, a.answer
    assert "If you're not sure, ask " in a.answer
    assert a.answer != a.citations[0].quote


def test_the_contact_comes_from_the_section() -> None:
    a = ask("can I post a photo of kids on sports day?", config=Config(), use_llm=False)
    assert a.citations[0].anchor == "protocol#safeguarding"
    assert "What you can do: Use first names only" in a.answer
    assert a.answer.endswith(
        "If you're not sure, ask the safeguarding lead, and use the safeguarding procedures if "
        "you're worried about someone."
    )
    a = ask("I disclosed someone's personal data by accident, who do I tell?", config=Config())
    assert a.citations[0].anchor == "protocol#data-protection"
    assert "ask the data protection officer" in a.answer


def test_informal_first_questions_find_their_section() -> None:
    for question, anchor in [
        ("can i tweet abt the trial of the bloke who attacked our nurse", "court-cases"),
        ("can i put pics of the kids from the school trip on insta", "safeguarding"),
        ("is it ok to coment on the cort case on fb", "court-cases"),
        ("my gaffer is useless, can i slate him on fb", "reputation"),
    ]:
        a = ask(question, config=Config(), use_llm=False)
        got = [c.anchor for c in a.citations[:2]]
        assert f"protocol#{anchor}" in got, (question, got)


def test_offline_quote_is_the_sentence_that_answers() -> None:
    (c,) = ask("Can I comment on a court case?", config=Config()).citations
    assert c.quote == "Don't comment on a live court case."


@pytest.mark.parametrize("question", OFF_TOPIC_QUESTIONS)
def test_off_topic_questions_get_a_polite_refusal(question: str) -> None:
    a = ask(question, config=Config())
    assert a.off_topic and a.answer == OFF_TOPIC and a.citations == []
    assert "I only answer questions about the social media policy" in a.answer


def test_the_answer_matches_the_contract() -> None:
    d = ask("Do I need to say #ad?", config=Config()).to_dict()
    assert set(d) == {"answer", "citations", "llm"}
    assert d["llm"] == "off"
    assert set(d["citations"][0]) == {"section", "anchor", "quote"}
    assert d["citations"][0]["anchor"] == "protocol#paid-promotion"


@pytest.mark.parametrize("question", ["", "   "])
def test_an_empty_question_is_an_input_error(question: str) -> None:
    with pytest.raises(InputError, match="ask a question"):
        ask(question, config=Config())


def test_the_index_is_built_once_per_process() -> None:
    policy = load_policy(Config())
    assert index_for(policy) is index_for(policy)


def test_bold_labels_and_lead_ins_stay_with_their_sentence() -> None:
    units = split_units("**Don't:**\n\n- say he did it;\n\n**Victims.** Never name them. Really.")
    assert units == ["Don't: say he did it;", "Victims. Never name them.", "Really."]


# ---------------------------------------------------------------------- with a model


@pytest.mark.parametrize(("question", "expected"), QUESTIONS[:4])
def test_llm_answers_cite_the_right_sections(
    start_fake: Callable[..., FakeOpenAI], question: str, expected: set[str]
) -> None:
    fake = start_fake()
    a = ask(question, config=Config())
    assert a.llm == "used" and a.llm_reason is None
    assert anchors(a)[0] in expected
    assert a.answer.startswith("Fake answer")
    body = fake.completions[0].body
    assert body["response_format"]["json_schema"]["name"] == "canipost_answer"
    system, user = (m["content"] for m in body["messages"])
    assert user == question
    assert "<sections>" in system and f"[protocol#{anchors(a)[0]}]" in system


def test_llm_citations_outside_the_retrieved_sections_are_dropped(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake()
    fake.responder = lambda body: {
        "answer": "No.",
        "citations": [{"anchor": "protocol#court-cases", "quote": "I made this up."}],
        "off_topic": False,
    }
    a = ask("Can I comment on a court case?", config=Config())
    (c,) = a.citations
    assert c.anchor == "protocol#court-cases"
    assert (
        c.quote == "Don't comment on a live court case."
    )  # invented quote replaced by the policy's words


def test_an_answer_that_cites_nothing_is_grounded_in_the_top_section(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake("reject_json_schema")  # also exercises the json_object path
    fake.responder = lambda body: {"answer": "Label it.", "citations": [], "off_topic": False}
    a = ask("Do I need to say #ad?", config=Config())
    assert a.answer == "Label it." and anchors(a) == ["paid-promotion"]


def test_the_model_can_declare_a_question_off_topic(start_fake: Callable[..., FakeOpenAI]) -> None:
    fake = start_fake()
    fake.responder = lambda body: {"answer": "whatever", "citations": [], "off_topic": True}
    a = ask("What is the capital of France?", config=Config())  # offline would have answered
    assert (a.off_topic, a.answer, a.llm) == (True, OFF_TOPIC, "used")


def test_the_model_may_not_refuse_what_the_policy_plainly_covers(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake()
    fake.responder = lambda body: {"answer": "whatever", "citations": [], "off_topic": True}
    a = ask("Can I comment on a court case?", config=Config())
    assert not a.off_topic and anchors(a) == ["court-cases"]
    assert (a.llm, a.llm_reason) == ("failed", "the AI model declined a question the policy covers")


def test_personal_data_in_a_question_does_not_cross_the_wire(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake()
    a = ask("Can I post Mrs Kowalczyk's mobile 07700 900456 on Facebook?", config=Config())
    assert a.llm == "used"
    raw = fake.completions[0].raw
    assert "Kowalczyk" not in raw and "07700 900456" not in raw
    assert "[NAME_1]'s mobile [PHONE_1]" in fake.completions[0].body["messages"][1]["content"]


@pytest.mark.parametrize("mode", ["server_error", "malformed", "garbage"])
def test_model_failures_fall_back_to_the_offline_answer(
    start_fake: Callable[..., FakeOpenAI], mode: str
) -> None:
    start_fake(mode)
    a = ask("Can I comment on a court case?", config=Config())
    assert a.llm == "failed" and a.llm_reason
    assert anchors(a) == ["court-cases"]
    assert a.to_dict()["llm_reason"] == a.llm_reason


def test_no_llm_overrides_a_configured_model(start_fake: Callable[..., FakeOpenAI]) -> None:
    fake = start_fake()
    assert ask("Do I need to say #ad?", config=Config(), use_llm=False).llm == "off"
    assert fake.completions == []


def test_repeated_questions_are_answered_from_the_cache(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake()
    for _ in range(3):
        ask("Do I need to say #ad?", config=Config())
    assert len(fake.completions) == 1


def test_a_broken_ask_prompt_falls_back_naming_the_file(
    start_fake: Callable[..., FakeOpenAI], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.llm.prompts import default_prompts_dir

    for f in default_prompts_dir().glob("*.md"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "ask.md").write_text("no front matter", encoding="utf-8")
    monkeypatch.setenv("CANIPOST_PROMPTS_DIR", str(tmp_path))
    fake = start_fake()
    a = ask("Do I need to say #ad?", config=Config())
    assert a.llm == "failed" and a.llm_reason is not None and "ask.md" in a.llm_reason
    assert anchors(a) == ["paid-promotion"] and fake.completions == []


# ---------------------------------------------------------------------- retrieval quality


def test_blind_questions_find_their_sections() -> None:
    """90 questions written by someone who saw only protocol.md, in staff's own words.

    Measured when written (before keywords and stemming): top-1 0.59, any cited 0.71,
    off-topic refused 6/10. They are development data now; this guards the gains.
    """
    import json
    from pathlib import Path

    rows = [
        json.loads(line)
        for line in (Path(__file__).parent / "data" / "ask_questions.jsonl").open()
        if line.strip()
    ]
    index = index_for(load_policy(Config()))
    top1 = cited = refused = on = off = 0
    for r in rows:
        a = offline_answer(r["q"], index)
        got = [c.anchor.removeprefix("protocol#") for c in a.citations]
        if not r["anchors"]:
            off += 1
            refused += a.off_topic
            continue
        on += 1
        top1 += bool(got) and got[0] in r["anchors"]
        cited += bool(set(got) & set(r["anchors"]))
    assert on == 80 and off == 10
    assert top1 / on >= 0.83, top1  # 0.85 with chat spellings and typo repair
    assert cited / on >= 0.91, cited  # 0.925
    assert refused >= 9, refused


def test_keywords_are_searched_but_never_quoted() -> None:
    policy = load_policy(Config())
    court = policy.sections["court-cases"]
    assert "nicked" in court.keywords and "overview" not in court.keywords
    assert "keywords:" not in court.text
    a = ask("my mate got nicked, can I tweet about it?", config=Config(), use_llm=False)
    assert a.citations[0].anchor == "protocol#court-cases"
    assert all("nicked" not in c.quote for c in a.citations)
