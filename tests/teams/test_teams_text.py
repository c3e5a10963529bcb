"""Teams text in and out: undoing Teams' markup, escaping, idempotency keys."""

from __future__ import annotations

from bot.adapters import clip
from bot.teams.text import activity_key, html_to_text, md_escape, to_plain


def test_to_plain_turns_mentions_back_into_text() -> None:
    assert to_plain("Thanks <at>Sam Jones</at> &amp; team&nbsp;!") == "Thanks @Sam Jones & team !"


def test_html_to_text_keeps_lines_and_lists() -> None:
    html = (
        "<div><p>Join us <b>today</b>&nbsp;at 5</p><ul><li>cake</li><li>tea</li></ul>"
        "<p>Ask <at id='0'>Sam</at></p></div>"
    )
    assert html_to_text(html) == "Join us today at 5\n\n• cake\n• tea\nAsk @Sam"


def test_md_escape_and_clip() -> None:
    assert md_escape("_Sam_ [x](y) *") == "\\_Sam\\_ \\[x\\]\\(y\\) \\*"
    assert clip("abcdefghij", 9) == "abc… (+7)"
    assert clip("short", 9) == "short"


def test_activity_keys_are_stable_short_and_distinct() -> None:
    long_conv = "19:" + "x" * 400 + "@thread.tacv2"
    a = activity_key("decide", long_conv, "1700")
    assert a == activity_key("decide", long_conv, "1700") and len(a) < 64
    assert a != activity_key("decide", long_conv, "1701")
    assert a != activity_key("submit", long_conv, "1700")
