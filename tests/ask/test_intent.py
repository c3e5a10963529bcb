"""Off-topic refusal by evidence of intent: small talk, IT, pay, lunch, sport and weather are
refused, first and mid-thread; short real policy questions and follow-ups are answered.

None of these messages is in the conversation sets; they were written for this test.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.ask import OFF_TOPIC, ask
from bot.ask.conversation import respond
from bot.ask.intent import intent
from bot.ask.threads import Turn
from bot.config import Config
from bot.policy import load_policy
from bot.policy.retrieval import index_for

ASIDES = [
    "morning! how are you today?",
    "what's your name?",
    "the printer on floor 2 is jammed again",
    "how do i connect to the office wifi",
    "my teams keeps crashing",
    "can someone reset my login",
    "is the canteen doing jacket potatoes today",
    "when do we get paid this month",
    "my payslip's wrong, who do i talk to",
    "did you see the rugby at the weekend",
    "is it going to snow tomorrow",
    "tell me a joke",
    "can you write me a poem",
    "what should i have for dinner",
    "how do i book a room for the team meeting",
    "what time does the gym open",
    "happy friday!",
    "how do i change my password",
    "where do i submit my expenses",
    "can i take friday off",
    "what's the dress code for the awards night",
    "what's the phone number for IT",
    "fancy the pub after work?",
    "what's the policy on annual leave",
    "also how do i get on the training course",
    "and whens the christmas party this year",
    "random q but does anyone have a phone charger",
    "btw is it true the canteen is closing",
]

SHORT_QUESTIONS = [
    ("can i retweet this?", {"keep-it-legal", "defamation", "personal-responsibility"}),
    ("is a selfie at work ok?", {"data-protection", "confidential-information", "reputation"}),
    ("do i need #ad?", {"paid-promotion"}),
    ("what's purdah?", {"political-neutrality"}),
    ("am i allowed to swear on my own twitter?", {"dont-get-into-a-row"}),
    ("can i post the rota", {"confidential-information"}),
    ("should i reply to a troll", {"dont-get-into-a-row"}),
    ("can we use a song in our reel", {"keep-it-legal", "accessibility"}),
    ("what are the rules?", {"purpose", "keep-it-legal", "common-sense"}),
]

#: A thread's opening question and follow-ups that lean on it, none with a topic of its own.
THREAD = "can we post a photo of the kids from the youth club trip"
FOLLOW_UPS = [
    "the parents said it's fine",
    "what if it's from behind",
    "first names only?",
    "they're all over 16",
    "we've got consent forms",
    "who do i ask if i'm not sure?",
    "why not?",
]


@pytest.fixture(scope="module")
def index() -> Any:
    return index_for(load_policy(Config()))


def top2(answer: Any) -> set[str]:
    return {c.anchor.removeprefix("protocol#") for c in answer.citations[:2]}


def opened(question: str) -> list[Turn]:
    _, turn = respond(question, [], config=Config(), use_llm=False)
    assert turn.kind == "question", turn
    return [turn]


@pytest.mark.parametrize("message", ASIDES)
def test_asides_are_refused_first_and_mid_thread(message: str) -> None:
    assert ask(message, config=Config(), use_llm=False).answer == OFF_TOPIC
    for start in (THREAD, "can i put the wifi password on our event page"):
        answer, turn = respond(message, opened(start), config=Config(), use_llm=False)
        assert turn.kind == "off_topic" and answer.off_topic, (start, message, answer.citations)


@pytest.mark.parametrize(("question", "sections"), SHORT_QUESTIONS)
def test_short_policy_questions_are_answered(question: str, sections: set[str]) -> None:
    answer = ask(question, config=Config(), use_llm=False)
    assert not answer.off_topic
    assert top2(answer) & sections, (question, top2(answer))


@pytest.mark.parametrize("message", FOLLOW_UPS)
def test_follow_ups_without_topic_words_stay_on_the_thread(message: str) -> None:
    answer, turn = respond(message, opened(THREAD), config=Config(), use_llm=False)
    assert turn.kind == "followup" and "safeguarding" in top2(answer), (message, top2(answer))


def test_evidence_kinds(index: Any) -> None:
    posting = intent("can i put a pic on fb", index)
    assert posting.posting and posting.evidence
    topic = intent("what's jigsaw identification", index)
    assert topic.topic and not topic.posting and topic.evidence
    # Everyday protocol words count only when asked as permission.
    assert not intent("whats the wifi password", index).evidence
    assert intent("is it ok to be drunk at the christmas party", index).evidence
    assert not intent("when do we get paid", index).evidence
    # Other workplace business is an aside unless the message is about posting.
    assert intent("how do I share my screen in teams", index).aside
    lunch = intent("can i post a pic of my lunch", index)
    assert lunch.elsewhere and not lunch.aside and lunch.evidence
    assert intent("is #gifted enough", index).posting


@pytest.mark.parametrize(
    "message", ["nice one cheers", "ta mate, v helpful", "ok thank you so much x"]
)
def test_thanks_in_any_order_are_acknowledged(message: str) -> None:
    answer, turn = respond(message, opened(THREAD), config=Config(), use_llm=False)
    assert turn.kind == "off_topic" and answer.citations == [] and "welcome" in answer.answer


def test_thanks_with_a_question_is_answered() -> None:
    answer, turn = respond(
        "cheers, and can we tag the location?", opened(THREAD), config=Config(), use_llm=False
    )
    assert turn.kind == "followup" and not answer.off_topic


@pytest.mark.parametrize(
    ("message", "kind", "section"),
    [
        (
            "a brand sent me free trainers, can i post about them on my insta",
            "question",
            "paid-promotion",
        ),
        (
            "i posted something daft last night, can i just say my account was hacked",
            "question",
            "permanence",
        ),
        ("what if he gets off", "followup", "court-cases"),
    ],
)
def test_a_question_of_its_own_changes_the_topic_a_short_one_leans_on_it(
    message: str, kind: str, section: str
) -> None:
    thread = opened("can i tweet about the trial of the man who stabbed a nurse")
    answer, turn = respond(message, thread, config=Config(), use_llm=False)
    assert turn.kind == kind and section in top2(answer), (turn.kind, top2(answer))


@pytest.mark.parametrize("message", ["ok", "fair enough", "lol", "hmm"])
def test_bare_acknowledgements_are_acknowledged_not_answered(message: str) -> None:
    answer, turn = respond(message, opened(THREAD), config=Config(), use_llm=False)
    assert turn.kind == "off_topic" and answer.citations == [] and answer.answer.startswith("OK.")


#: Words of posting and of the protocol's topics the protocol itself does not use
#: (bot/ask/data/intent.txt): a question in them is answered, first in a thread.
SLANG_QUESTIONS = [
    ("can i start a blog about life as a carer", set()),
    ("is it ok to vlog my commute in my work fleece", set()),
    ("a make-up brand keeps sending me pr packages, do i have to say", {"paid-promotion"}),
    ("someone's catfishing people with my work profile pic, what do i do", set()),
    ("can i make memes about the office", set()),
]


@pytest.mark.parametrize(("question", "sections"), SLANG_QUESTIONS)
def test_slang_for_posting_and_topics_is_answered(question: str, sections: set[str]) -> None:
    answer = ask(question, config=Config(), use_llm=False)
    assert not answer.off_topic, question
    assert not sections or top2(answer) & sections, (question, top2(answer))


#: The asker's own question to the room about other work business, saying enough of its
#: own, or after "ok thanks,": an aside mid-thread, not a follow-up.
ROOM_ASIDES = [
    "who do i give my timesheet to on the late rota",
    "ok thanks, when's the next team meeting",
    "cheers, where do we sign up for the first aid course",
    "when do i hand in my mileage form this month",
]


@pytest.mark.parametrize("message", ROOM_ASIDES)
def test_the_askers_own_question_to_the_room_is_an_aside(message: str) -> None:
    for start in (THREAD, "can i post about my night shift on the ward"):
        answer, turn = respond(message, opened(start), config=Config(), use_llm=False)
        assert turn.kind == "off_topic" and answer.off_topic, (start, message, answer.citations)


def test_the_same_post_on_a_personal_account_is_the_threads_post() -> None:
    thread = opened("can i share our charity's fundraising appeal on linkedin")
    answer, turn = respond(
        "what about the same post on my personal insta", thread, config=Config(), use_llm=False
    )
    assert turn.kind == "followup"
    assert top2(answer) & {"personal-responsibility", "speaking-for-the-organisation"}, top2(answer)


#: One word of a protocol topic beside other business, asked: an aside, first or mid-thread.
FAINT_ASIDES = [
    "can i get the day off for my nan's funeral",
    "is the staff survey anonymous",
    "random one, anyone know if payroll is late because of the strike",
    "i'll leave it then, how do i get a new lanyard",
    "are we allowed jeans on fridays yet or is it still a trial",
    "thx. is the office shut on boxing day",
]


@pytest.mark.parametrize("message", FAINT_ASIDES)
def test_one_topic_word_beside_other_business_is_an_aside(message: str) -> None:
    answer, turn = respond(message, opened(THREAD), config=Config(), use_llm=False)
    assert turn.kind == "off_topic" and answer.off_topic, (message, answer.citations)


def test_one_topic_word_beside_other_business_adds_to_the_situation_unasked() -> None:
    thread = opened("can i post that the staff car park is shut for the police cordon")
    answer, turn = respond(
        "its for the car park by the court building", thread, config=Config(), use_llm=False
    )
    assert turn.kind == "followup" and not answer.off_topic


def test_several_topic_words_stand_without_the_protocols_other_words() -> None:
    answer = ask(
        "a rival firm says our boilers are dangerous, can i say theyre lying",
        config=Config(),
        use_llm=False,
    )
    assert not answer.off_topic and "defamation" in top2(answer), top2(answer)


@pytest.mark.parametrize(
    ("question", "section"),
    [
        (
            "a man keeps posting clips of our drivers calling them lazy, can i report him",
            "dont-get-into-a-row",
        ),
        (
            "a parent messaged our page saying a neighbour is neglecting her kids, do i answer",
            "safeguarding",
        ),
        ("can i put the bus diversion map in our post", "accessibility"),
    ],
)
def test_name_calling_neglect_and_maps_find_their_sections(question: str, section: str) -> None:
    answer = ask(question, config=Config(), use_llm=False)
    assert not answer.off_topic and section in top2(answer), (question, top2(answer))
