"""Conversations without a store: drafts, "why?", follow-ups, topic changes, the model path."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.ask import OFF_TOPIC
from bot.ask.conversation import extract_draft, respond
from bot.ask.threads import Turn
from bot.config import Config
from bot.errors import InputError
from bot.llm import reset
from bot.llm.fake import FakeOpenAI, default_responder


@pytest.fixture(autouse=True)
def no_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CANIPOST_LLM_BACKOFF", "0.001")
    reset()
    yield
    reset()


def talk(*messages: str, use_llm: bool | None = False) -> list[tuple[Any, Turn]]:
    history: list[Turn] = []
    out = []
    for m in messages:
        answer, turn = respond(m, history, config=Config(), use_llm=use_llm)
        history.append(turn)
        out.append((answer, turn))
    return out


def top2(answer: Any) -> list[str]:
    return [c.anchor.removeprefix("protocol#") for c in answer.citations[:2]]


@pytest.mark.parametrize(
    ("message", "draft"),
    [
        (
            "what if I wrote: Great night out with the ward team!",
            "Great night out with the ward team!",
        ),
        ('so what if i posted "Mrs Patel in bed 4 went home"?', "Mrs Patel in bed 4 went home"),
        ("Here's my draft - Vote Labour on Thursday!", "Vote Labour on Thursday!"),
        ("how about: \u201cWe're hiring! Apply now\u201d", "We're hiring! Apply now"),
        ("can I post this: our new library opens Saturday", "our new library opens Saturday"),
        ("can I tweet: our CEO is leaving", "our CEO is leaving"),
        ('would this be ok? "We are closing the ward"', "We are closing the ward"),
        ("i want to post this - huge congrats to Cllr Patel", "huge congrats to Cllr Patel"),
        (
            "what about \u201cThinking of everyone affected by the fire\u201d",
            "Thinking of everyone affected by the fire",
        ),
        ('is it ok to say "a certain striker was in A&E"', "a certain striker was in A&E"),
        (
            "can i reply to this customer on our page: 'Sorry Jan, ring me on 07700 900111'",
            "Sorry Jan, ring me on 07700 900111",
        ),
        (
            "could we comment under the mayor's post: we are thrilled to back his plans for the town",
            "we are thrilled to back his plans for the town",
        ),
    ],
)
def test_drafts_are_recognised(message: str, draft: str) -> None:
    assert extract_draft(message) == draft


@pytest.mark.parametrize(
    "message",
    [
        "what if I post it on my personal account?",
        "Can I comment on a court case?",
        "draft",
        "what if i don't name him, just say 'a certain striker' \U0001f609",
        'what about "ad"',
        "can i say something",
        "can i reply to a troll: what should i say?",
    ],
)
def test_questions_are_not_drafts(message: str) -> None:
    assert extract_draft(message) is None


def test_a_pasted_draft_is_reviewed_and_why_is_answered_from_its_findings() -> None:
    (draft, d), (why, w), (_, f) = talk(
        "what if I wrote: Mrs Patel in bed 4 went home after her stroke",
        "why is that a problem?",
        "ok how do I fix it?",
    )
    assert d.kind == "draft" and d.decision == "do_not_post"
    assert draft.verdict is not None and draft.verdict["decision"] == "do_not_post"
    assert draft.answer.startswith("I checked that draft: don't post it as it stands.")
    assert top2(draft)[0] == "confidential-information"
    assert (w.kind, f.kind) == ("verdict", "verdict")
    finding = d.findings[0] if d.findings else {}
    assert finding["message"] in why.answer and finding["suggestion"] in why.answer
    assert "\u201cMrs Patel in bed 4 went home after her stroke\u201d" in why.answer
    assert top2(why)[0] == "confidential-information"


def test_an_ok_draft_is_explained_as_ok() -> None:
    (draft, d), (why, w) = talk(
        "what if I wrote: Our new library opens on Saturday with free activities.",
        "is that ok then?",
    )
    assert d.decision == "ok" and draft.answer.startswith("I checked that draft: nothing in it")
    assert w.kind == "verdict" and why.answer.startswith("That draft came back ok")


def test_a_new_topic_after_a_draft_is_a_new_question() -> None:
    *_, (a, t) = talk(
        "what if I wrote: Mrs Patel in bed 4 went home after her stroke",
        "do I need to put #ad when a brand sends me free stuff?",
    )
    assert t.kind == "question" and top2(a)[0] == "paid-promotion"


def test_follow_ups_carry_the_topic_and_a_new_question_changes_it() -> None:
    (_, q1), (f1, t1), (f2, t2), (n, t3), (f3, t4) = talk(
        "can i tweet abt the trial of the bloke who attacked our nurse",
        "what about on my personal account?",
        "and if it's already in the paper?",
        "do I need to label a post #ad if a brand gave me free trainers?",
        "what about a discount code?",
    )
    assert q1.kind == "question" and q1.anchors[0] == "protocol#court-cases"
    assert (t1.kind, t2.kind) == ("followup", "followup")
    assert "court-cases" in top2(f1) and "court-cases" in top2(f2)
    assert t3.kind == "question" and top2(n)[0] == "paid-promotion"
    assert "court-cases" not in top2(n)
    assert t4.kind == "followup" and top2(f3)[0] == "paid-promotion"


def test_off_topic_turns_are_refused_mid_conversation_and_do_not_break_it() -> None:
    *_, (off, t), (back, b) = talk(
        "can I post a photo of the kids at sports day?",
        "what's the weather like in Leeds tomorrow?",
        "what about if the parents say yes?",
    )
    assert t.kind == "off_topic" and off.off_topic and off.citations == []
    assert b.kind == "followup" and "safeguarding" in top2(back)


def test_an_empty_message_is_an_input_error() -> None:
    with pytest.raises(InputError):
        respond("  ", [], config=Config(), use_llm=False)


# ---------------------------------------------------------------------- with a model


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as f:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", f.url)
        yield f


def condensing(standalone: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def responder(body: dict[str, Any]) -> dict[str, Any]:
        if "canipost_condensed" in json.dumps(body):
            return {"question": standalone, "topic_changed": False}
        return default_responder(body)

    return responder


def test_with_a_model_a_follow_up_is_condensed_first(fake: FakeOpenAI) -> None:
    fake.responder = condensing("Can I comment on Mr [NAME_1]'s trial on my personal account?")
    (_, q), (a, t) = talk(
        "Can I comment on Mr Kowalczyk's trial?", "what about on my personal account?", use_llm=None
    )
    assert q.kind == "question" and t.kind == "followup" and a.llm == "used"
    assert top2(a)[0] == "court-cases"
    condense = next(c for c in fake.completions if "canipost_condensed" in c.raw)
    system, user = (m["content"] for m in condense.body["messages"])
    assert "Q: Can I comment on Mr [NAME_1]'s trial?" in system
    assert user == "what about on my personal account?"
    assert "Kowalczyk" not in condense.raw
    # The answer request got the condensed question, its placeholder restored then redacted again.
    last = fake.completions[-1].body["messages"][1]["content"]
    assert last.startswith("Can I comment on Mr [NAME_1]'s trial on my personal account?")


def test_a_first_question_is_not_condensed(fake: FakeOpenAI) -> None:
    ((a, t),) = talk("Can I comment on a court case?", use_llm=None)
    assert a.llm == "used" and t.kind == "question"
    assert not any("canipost_condensed" in c.raw for c in fake.completions)


def test_when_condensing_fails_the_offline_resolution_answers(fake: FakeOpenAI) -> None:
    talk_history: list[Turn] = []
    a, t = respond("Can I comment on a court case?", talk_history, config=Config(), use_llm=False)
    talk_history.append(t)
    fake.mode = "server_error"
    a, t = respond("what about on my personal account?", talk_history, config=Config())
    assert a.llm == "failed" and a.llm_reason and t.kind == "followup"
    assert "court-cases" in top2(a)


def test_saying_it_is_a_new_question_changes_the_topic() -> None:
    _, (a, t), (f, ft) = talk(
        "can i tweet abt the trial of the bloke who attacked our nurse",
        "ok new q, can i put pics of the kids from sports day on insta",
        "and what if the parents agree?",
    )
    assert t.kind == "question" and top2(a) == ["safeguarding"]
    assert ft.kind == "followup" and top2(f)[0] == "safeguarding"
    assert "court-cases" not in top2(f)


def test_asides_and_thanks_mid_conversation() -> None:
    *_, (aside, a), (thanks, t), (who, w) = talk(
        "can I post a photo of the kids at sports day?",
        "also anyone know when payday is this month?",
        "thanks!",
        "who do I ask if I'm not sure?",
    )
    assert a.kind == "off_topic" and aside.answer == OFF_TOPIC
    assert t.kind == "off_topic" and thanks.citations == [] and "welcome" in thanks.answer
    assert w.kind == "followup" and "safeguarding" in top2(who)


def test_with_a_model_drafts_are_reviewed_with_the_critique_and_thanks_cost_nothing(
    fake: FakeOpenAI,
) -> None:
    (draft, d), (thanks, t) = talk(
        "what if I wrote: Our new library opens on Saturday with free activities.",
        "thanks, that helps",
        use_llm=None,
    )
    assert d.kind == "draft" and draft.llm == "used"
    assert draft.verdict is not None and draft.verdict["llm"] == "used"
    assert t.kind == "off_topic" and "welcome" in thanks.answer
    assert not any("canipost_condensed" in c.raw for c in fake.completions)


def test_replies_that_act_on_the_thread_are_follow_ups_and_an_aside_after_thanks_is_not() -> None:
    *_, (deal, d), (long, lg), (aside, a), (cheers, c) = talk(
        "some bloke keeps leaving 1 star reviews calling us cowboys, can i reply and tell him where to go",
        "who should deal with it then",
        "how long does it take for someone to look at it",
        "fine ill leave it. whens the next pay day btw",
        "cheers thats really useful",
    )
    assert d.kind == "followup" and "dont-get-into-a-row" in top2(deal)
    assert lg.kind == "followup" and not long.off_topic
    assert a.kind == "off_topic" and aside.answer == OFF_TOPIC
    assert c.kind == "off_topic" and "welcome" in cheers.answer


def test_a_statement_adds_to_the_situation_rather_than_changing_the_topic() -> None:
    *_, (stmt, s) = talk(
        "there's a fire at the old mill, can i post about it from the council page",
        "oh god the christmas market post is scheduled for 3pm",
    )
    assert s.kind == "followup" and "sensitive-situations" in top2(stmt)


def test_the_rule_an_answer_leads_with_applies_to_the_question() -> None:
    """A rule under a condition ("If you are on a jury, ...") answers only that condition."""
    (trial, _), (juror, _) = talk(
        "can i tweet abt the trial of the bloke who attacked our nurse",
        "ok new q, i was on jury service last week, can i tweet about the trial",
    )
    assert trial.answer.startswith("Don't comment on a live court case.")
    assert juror.answer.startswith("If you are on a jury, don't post about the trial at all.")


def test_whom_to_check_with_is_a_follow_up() -> None:
    (_, q), (a, t) = talk(
        "can we put the foster kids' summer trip photos on the council instagram",
        "ok who do we need to clear it with then",
    )
    assert q.kind == "question" and t.kind == "followup"
    assert "safeguarding" in top2(a), top2(a)


def test_a_question_naming_one_finding_is_answered_from_it_first() -> None:
    (draft, d), (a, t) = talk(
        "can i post: VOTE FOR CLLR SMITH!!! #localelection #townhall #vote",
        "is the lower case hashtags bit a problem",
    )
    assert d.kind == "draft" and t.kind == "verdict"
    assert "accessibility" in {c.anchor.removeprefix("protocol#") for c in draft.citations}
    assert top2(a)[0] == "accessibility", top2(a)


def test_it_after_a_refused_aside_reads_the_asides_words() -> None:
    (off, o), (a, t) = talk(
        "morning, what's the door code for the new annexe",
        "can i put it in the staff facebook group so nobody gets locked out",
    )
    assert o.kind == "off_topic" and off.off_topic
    assert t.kind == "followup" and "confidential-information" in top2(a), top2(a)


@pytest.mark.parametrize(
    "aside",
    [
        "ok. random one but is the pool car free on friday",
        "cheers, is it too late to join the cycle to work scheme",
        "nice one. when do i need to book travel for the conference",
    ],
)
def test_an_aside_that_only_seems_to_point_back_is_refused(aside: str) -> None:
    (_, q), (a, t) = talk("can we post photos of the kids at the summer fete", aside)
    assert q.kind == "question" and t.kind == "off_topic" and a.off_topic, top2(a)


def test_declaring_a_gift_mid_thread_is_a_follow_up_about_gifts() -> None:
    (_, _), (a, t) = talk(
        "a family sent the ward flowers, can i post a thank you on our page",
        "lol ok, do we have to declare the flowers anywhere",
    )
    assert t.kind == "followup" and "paid-promotion" in top2(a), top2(a)


def test_sticking_up_for_someone_is_a_row_not_a_court_case_and_whom_she_tells_follows() -> None:
    (a, q), (b, t) = talk(
        "a porter on our team is getting loads of abuse on facebook, can i post defending him",
        "who does he tell about it",
    )
    assert q.kind == "question" and "dont-get-into-a-row" in top2(a), top2(a)
    assert "court-cases" not in top2(a)
    assert t.kind == "followup" and "dont-get-into-a-row" in top2(b), top2(b)
