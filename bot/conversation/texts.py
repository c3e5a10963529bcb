"""Everything canipost says to people in a chat, once, for every surface.

Adapters format (bold, mentions, emoji) but never word things themselves:
refusals, notices on a verdict, error reports, the queue's news, labels.
A surface passes a ``who`` function where a person is named, so Slack can
say ``<@U123>`` and Teams a display name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from bot.verdict import Finding
from bot.workflow import Actor, Refusal, Submission

Who = Callable[[Actor], str]

# ---------------------------------------------------------------------- labels

DECISION_TITLES: dict[str, str] = {
    "ok": "🟢 OK to post",
    "advise": "🟡 OK to post, with advice",
    "needs_approval": "🟠 Needs approval from comms",
    "do_not_post": "🔴 Do not post",
}
STATE_TITLES: dict[str, str] = {
    "pending": "⏳ Pending",
    "approved": "✅ Approved",
    "changes_requested": "✏️ Changes requested",
    "rejected": "⛔ Rejected",
    "withdrawn": "↩️ Withdrawn",
    "expired": "💤 Expired",
}
NETWORK_NAMES: dict[str, str] = {
    "any": "Any network",
    "twitter": "X (Twitter)",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "threads": "Threads",
    "bluesky": "Bluesky",
}


def network_name(channel: str) -> str:
    return NETWORK_NAMES.get(channel, channel)


def section_title(policy_ref: str, titles: Mapping[str, str]) -> str:
    """``protocol#court-cases`` → the protocol's heading for it (or the anchor)."""
    anchor = policy_ref.split("#", 1)[-1]
    return titles.get(anchor) or titles.get(policy_ref) or anchor.replace("-", " ").capitalize()


def finding_labels(finding: Finding) -> tuple[str, str, str | None]:
    """``("Confidentiality", "do not post", "AI review")``: its kind, how bad, whose (if not ours)."""
    source = "AI review" if finding.source == "llm" else None
    return finding.category.capitalize(), finding.severity.label.replace("_", " "), source


# ---------------------------------------------------------------------- refusals and notices


def refusal_text(exc: Refusal) -> str:
    """A refusal in words for the person who clicked (only they see it)."""
    reason = exc.reason
    if reason == "not_an_approver":
        return "Only comms approvers can decide on drafts."
    if reason == "own_draft":
        return "You can't decide on your own draft; another approver must."
    if reason == "second_approver_required":
        return "You gave the first approval; a different approver must give the second."
    if reason == "not_the_author":
        return "Only the author can withdraw this draft."
    if reason == "note_required":
        return "Please add a note for the author first: it's needed to request changes or reject."
    return str(exc)


JUSTIFY_NOW = "The review says do not post: tell comms why before sending it."
JUSTIFICATION_MISSING = "Tell comms why this should be posted."
SENDING = "📤 Sending to comms for approval…"
LOOKING_UP = "⏳ Looking that up in the policy…"
NO_QUESTIONS = "Policy questions aren't available in this installation yet."
ASK_HOW = "Ask a question after `ask`, e.g. `/canipost ask Can I share a photo of a patient?`"
NO_MESSAGE_TO_UPDATE = "I couldn't find the message to update; nothing was sent."
OLD_BUTTON = "That button is from an older version of canipost; ask again."
NO_DRAFT_ON_CARD = "this card no longer carries its draft; send it to me again"


SENDING_CONFIRM_IN_CHAT = "Sending it to comms for approval; I'll confirm in our chat."


def sent_for_approval(sid: str) -> str:
    return f"Sent to comms for approval as {sid}. I'll tell you their decision in our chat."


FEEDBACK_ASK = "Was this right?"
FEEDBACK_TITLE = "Was this verdict right?"
FEEDBACK_EXPECTED = "What should the verdict have been?"
FEEDBACK_CATEGORIES = "Which kind of problem is it? (optional)"
FEEDBACK_NOTE = "Anything comms should know? (optional)"


def feedback_thanks(status: str, kind: str) -> str:
    """The reply to a "Was this right?" report: what happens to it next."""
    what = {"false_alarm": "a false alarm", "missed": "something the review missed"}.get(
        kind, "your view of the verdict"
    )
    if status == "confirmed":
        return f"Thanks: recorded {what}. As an approver, your report counts at once."
    return f"Thanks: recorded {what}. Comms will look at it."


FEEDBACK_APPROVERS_ONLY = "Only comms approvers can confirm or dismiss reports."


def feedback_reviewed(feedback_id: str, status: str) -> str:
    if status == "confirmed":
        return f"Confirmed report {feedback_id}: it now counts when the model is retrained."
    return f"Dismissed report {feedback_id}."


WATCH_APPROVERS_ONLY = "Only comms approvers can see or change the watch list."
WATCH_PRIVATE_ONLY = "The watch list is confidential: ask me in our direct chat."
WATCH_HOW = (
    "Watch list (approvers): `watch list` · `watch add <kind> <term> [until YYYY-MM-DD]` · "
    "`watch remove <id>`. Kinds: {kinds}."
)


def not_sent(exc: Refusal) -> str:
    return f"Not sent: {refusal_text(exc)}"


def cant_check(exc: Exception) -> str:
    return f"I can't check that: {exc}"


def error_report(reference: str) -> str:
    """What a person sees when something failed on our side: never the details."""
    return (
        "⚠️ Sorry, something went wrong on our side. Please try again in a moment; if it "
        f"keeps happening, tell the canipost admins and quote reference {reference}."
    )


def refused_with_reference(exc: Exception, reference: str) -> str:
    """One of our own errors (fit to show as it is), with the log's reference."""
    return f"{exc} (reference {reference})"


# ---------------------------------------------------------------------- the queue's news


def utc_time(at: datetime | None) -> str:
    """``2026-12-03 09:40 UTC`` (naive times are taken as UTC), or "an unknown time"."""
    if at is None:
        return "an unknown time"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def age(sub: Submission, now: datetime | None = None) -> str:
    """How long a draft has waited: ``45 min`` or ``3 h``."""
    minutes = int(((now or datetime.now(UTC)) - sub.created_at).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def first_approval_note(sub: Submission, who: Who) -> str:
    first = sub.approvals[0].by if sub.approvals else None
    return f"Approved by {who(first) if first else 'an approver'}; a second approver must decide."


def withdrawn_note(_sub: Submission) -> str:
    return "↩️ The author withdrew this draft."


def reminder_note(sub: Submission) -> str:
    return f"⏰ Reminder: this draft has waited {age(sub)} for a decision."


def escalation_note(sub: Submission, backup: Sequence[str]) -> str:
    who = ", ".join(backup)
    return f"🚨 Escalation: this draft has waited {age(sub)}. " + (
        f"{who}: can you decide?" if who else "No backup approvers are configured."
    )


def author_news(sub: Submission, who: Who) -> str:
    """One sentence on the outcome for the author (also the notification text)."""
    if sub.state == "expired":
        return f"Your draft {sub.id} expired without a decision. Send it again if it still matters."
    verb = {
        "approved": "was approved",
        "changes_requested": "needs changes",
        "rejected": "was rejected",
        "withdrawn": "was withdrawn",
    }.get(sub.state, sub.state.replace("_", " "))
    by = who(sub.decided_by) if sub.decided_by else "comms"
    return f"Your draft {sub.id} {verb} (by {by})."


# ---------------------------------------------------------------------- help

HELP_INTRO = "**canipost** checks a social media draft against our policy before you post it."
HELP_OUTRO = (
    "Drafts that need approval go to comms with one click; I'll tell you their decision here."
)
HELP_OUTRO_SLACK = (
    "Drafts that need approval go to comms with one click; I'll DM you their decision, "
    "and my App Home lists what you've sent."
)
Audience = Literal["everyone", "approvers", "admins"]


@dataclass(frozen=True, slots=True)
class HelpLine:
    """One thing a person can do in a chat, as the help card lists it (Markdown)."""

    says: str
    #: Who may use it: everyone, the workspace's approvers, or those who may change its
    #: settings (:func:`bot.workspaces.may_administer`).
    audience: Audience = "everyone"
    #: The :data:`bot.conversation.intents.COMMANDS` word it documents, if it is one.
    command: str | None = None
    surfaces: tuple[str, ...] = ("teams",)


SLACK: tuple[str, ...] = ("slack",)
#: Everything a chat user can do, once per surface: each surface's help is generated from
#: this, for approvers and for everyone else. Every command of ``intents.COMMANDS`` has a
#: line on every surface (a test holds that), so a new command cannot be missing from a help.
HELP_LINES: tuple[HelpLine, ...] = (
    # Teams: messages to the bot
    HelpLine("Send me a draft (or `review: your draft`) to check it"),
    HelpLine("Ask me about the policy: `Can I comment on a court case?` (or `ask: …`)"),
    HelpLine("**Check with canipost** in any message's … menu checks that message"),
    HelpLine("In a channel, @mention me with the draft or the question"),
    HelpLine(
        '`reports`: "Was this right?" reports waiting for you to confirm or dismiss',
        audience="approvers",
        command="reports",
    ),
    HelpLine(
        "`watch` (or `watch list`), `watch add <kind> <term> [until YYYY-MM-DD]`, "
        "`watch remove <id>`: the confidential watch list, in our personal chat",
        audience="approvers",
        command="watch",
    ),
    HelpLine(
        "`settings`: this workspace's canipost settings (approvers channel, approvers, "
        "profile, organisation details), in our personal chat",
        audience="admins",
        command="settings",
    ),
    HelpLine("`help`: this list"),
    # Slack: the slash command, the message shortcut, DMs and mentions
    HelpLine(
        "`/canipost your draft text`: check a draft (only you see the answer)", surfaces=SLACK
    ),
    HelpLine(
        "`/canipost`: a form for the draft, the network, and whether you post for the "
        "organisation or yourself",
        surfaces=SLACK,
    ),
    HelpLine(
        "`/canipost ask Can I comment on a court case?`: ask about the policy", surfaces=SLACK
    ),
    HelpLine("**Check with canipost** in a message's ⋮ menu checks that message", surfaces=SLACK),
    HelpLine(
        "DM me a draft or a question (`can I post: your draft`); @mention me in a channel",
        surfaces=SLACK,
    ),
    HelpLine(
        "*Was this right?* reports waiting for you to confirm or dismiss are on my App Home",
        audience="approvers",
        command="reports",
        surfaces=SLACK,
    ),
    HelpLine(
        "`/canipost watch` (or `watch list`), `watch add <kind> <term> [until YYYY-MM-DD]`, "
        "`watch remove <id>`: the confidential watch list (only you see the answer; in our "
        "DM too). My App Home lists it as well",
        audience="approvers",
        command="watch",
        surfaces=SLACK,
    ),
    HelpLine(
        "**canipost settings** in the shortcuts menu: this workspace's settings (approvers "
        "channel, approvers, approver group, profile, organisation details)",
        audience="admins",
        command="settings",
        surfaces=SLACK,
    ),
    HelpLine("`/canipost help`: this list", surfaces=SLACK),
)


def help_lines(surface: str, *, approver: bool, admin: bool = False) -> list[str]:
    """The help lines ``surface`` shows this person: everyone's, then approvers' and admins'."""
    allowed = (
        {"everyone"} | ({"approvers"} if approver else set()) | ({"admins"} if admin else set())
    )
    return [h.says for h in HELP_LINES if surface in h.surfaces and h.audience in allowed]
