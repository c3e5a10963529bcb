"""What a plain chat message means, the same on every surface (bot.conversation.intents)."""

from __future__ import annotations

import pytest

from bot.conversation import Intent, classify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("review: Come to the fair!", ("draft", "Come to the fair!")),
        ("Check this - Come to the fair!", ("draft", "Come to the fair!")),
        ("can I post: We're hiring!", ("draft", "We're hiring!")),
        ("Great turnout at the library today!", ("draft", "Great turnout at the library today!")),
        ("What a day at the fair!", ("draft", "What a day at the fair!")),
        ("Can I comment on a court case?", ("question", "Can I comment on a court case?")),
        (
            "Am I allowed to share photos of pupils",
            ("question", "Am I allowed to share photos of pupils"),
        ),
        ("ask: Who's coming to the fair?", ("question", "Who's coming to the fair?")),
        ("Who do I ask about the embargo", ("question", "Who do I ask about the embargo")),
        ("help", ("help", "")),
        ("  ", ("help", "")),
        ("Hi!", ("help", "")),
    ],
)
def test_classify(text: str, expected: tuple[str, str]) -> None:
    intent = classify(text)
    assert (intent.kind, intent.body) == expected


def test_long_or_multiline_messages_are_drafts_even_with_a_question_mark() -> None:
    assert classify("Can you believe it?\nOur team won!").kind == "draft"
    assert classify("Can we " + "really " * 80 + "do it?").kind == "draft"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("watch add Acme Ltd", Intent("command", "add Acme Ltd", "watch")),
        ("watch list", Intent("command", "list", "watch")),
        ("watch", Intent("command", "", "watch")),
        ("Watch our new video!", Intent("draft", "Watch our new video!")),
        ("watch this space for news", Intent("draft", "watch this space for news")),
    ],
)
def test_commands_need_a_known_sub_command(text: str, expected: Intent) -> None:
    assert classify(text) == expected


def test_every_command_has_a_help_line_and_approvers_see_theirs() -> None:
    from bot.conversation.intents import COMMANDS
    from bot.conversation.texts import HELP_LINES, help_lines

    for surface in ("teams", "slack"):
        lines = [h for h in HELP_LINES if surface in h.surfaces]
        assert {h.command for h in lines if h.command} == set(COMMANDS), surface
        assert set(help_lines(surface, approver=False)) < set(help_lines(surface, approver=True))
    everyone = help_lines("teams", approver=False)
    approver = help_lines("teams", approver=True)
    admin = help_lines("teams", approver=True, admin=True)
    assert set(everyone) < set(approver) < set(admin)
    assert not any(line.startswith(("`watch", "`reports", "`settings")) for line in everyone)
    assert any(line.startswith("`settings`") for line in admin)
    assert not any(line.startswith("`settings`") for line in approver)
