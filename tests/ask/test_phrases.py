"""Questions that say a protocol topic in several words (bot/policy/data/phrases.txt),
and the phrase-aware keyword weight of bot/policy/retrieval.py.

Written for these tests, not taken from any conversation set.
"""

from __future__ import annotations

import pytest

from bot.ask import ask
from bot.config import Config
from bot.policy import load_policy
from bot.policy.retrieval import PHRASES, index_for, normalise_question


def top2(question: str) -> list[str]:
    answer = ask(question, config=Config(), use_llm=False)
    assert not answer.off_topic, question
    return [c.anchor.removeprefix("protocol#") for c in answer.citations[:2]]


def test_phrases_are_loaded_and_compile() -> None:
    assert len(PHRASES) >= 20
    assert all(words.strip() for _, words in PHRASES)


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("is posting 10 times a week a lot", "how often"),
        ("my toddler's nursery photo", "child"),
        ("the whole team photo from friday", "photo of someone"),
        ("the vomiting bug on ward 9", "outbreak"),
        ("a witness appeal from the police", "emergency services statement"),
    ],
)
def test_phrases_become_the_protocols_words(question: str, words: str) -> None:
    assert words in normalise_question(question)


def test_a_phrase_matches_whole_words_only() -> None:
    # "baby" is read as child, but "babysitting" is no baby.
    assert "child" not in normalise_question("any babysitting tips")
    assert normalise_question("what about the weather") == "what about the weather"


def test_a_camel_case_hashtag_asks_about_accessibility() -> None:
    assert "camelcase" in normalise_question("should i use #CleanAirDay")
    assert "camelcase" not in normalise_question("should i use #cleanairday")
    assert "accessibility" in top2("#CleanAirDay or #cleanairday for our poster?")


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("the comms manager wants us tweeting ten times a day, is that ok", "keep-it-strategic"),
        (
            "police put out a missing person appeal, can the library page share it",
            "sensitive-situations",
        ),
        ("a grandad wants me to post his granddaughter's swimming medal pic", "safeguarding"),
        ("can i upload the staff photo from our christmas do to the website", "data-protection"),
        (
            "there's a tummy bug going round the care home, can i post a warning",
            "sensitive-situations",
        ),
        ("can i post that the housing officer is on the fiddle", "defamation"),
        (
            "some keyboard warrior keeps posting vile comments under our video",
            "dont-get-into-a-row",
        ),
    ],
)
def test_informal_phrases_find_their_section(question: str, section: str) -> None:
    assert section in top2(question), question


def test_a_word_of_a_phrase_alone_weighs_less_than_the_phrase() -> None:
    index = index_for(load_policy(Config()))
    care = next(i for i, s in enumerate(index.sections) if s.anchor == "safeguarding")
    # "sports day" is a safeguarding keyword: "day" alone is only part of it.
    alone = index.own_score(care, {"day"})
    whole = index.own_score(care, {"day", "sport"})
    assert 0 < alone < whole


@pytest.mark.parametrize(
    "message",
    [
        "did you see that footballer's goal last night?",
        "my sister just had a baby!",
        "anyone know a good soft play near the office",
        "the wifi is down every hour, who do i call",
        "who has to sign off my timesheet",
        "what time does the shelter on the high street open",
        "can i give the patient in bed 4 a cup of tea",
        "can we hand over the keys to facilities on friday",
        "can i bring in a big cheque for the raffle",
    ],
)
def test_phrases_never_make_small_talk_a_policy_question(message: str) -> None:
    # A phrase says which section a question is about, never that it is one.
    assert ask(message, config=Config(), use_llm=False).off_topic, message


def test_having_a_laugh_on_my_story_is_a_policy_question() -> None:
    # "can i have a laugh about it" asks to do something, unlike "can i have the wifi code";
    # "on my story" is posting.
    answer = ask(
        "my manager tripped over in the car park, can i have a laugh about it on my story",
        config=Config(),
        use_llm=False,
    )
    assert not answer.off_topic
    assert ask("can i have the wifi code", config=Config(), use_llm=False).off_topic


def test_a_phrase_that_means_two_things_is_left_out() -> None:
    # "word for word" is verbatim as often as it is repetition: sharing the police's
    # statement word for word is no spam, so phrases.txt does not read it.
    assert "repeat" not in normalise_question("sharing the police statement word for word?")
    assert "repeat" in normalise_question("the same post on every platform")
