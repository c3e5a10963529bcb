"""Block Kit builders: pure functions from our values to Slack payloads, plus a limit check.

Nothing here calls Slack or reads the environment, so every surface the app
shows (verdicts, approval cards, the App Home, modals, answers) is tested as
plain data, and :func:`validate_message` / :func:`validate_view` prove each
one is within Slack's limits before it is sent: a payload over a limit is
rejected by Slack with ``invalid_blocks``, which the user would only see as
silence.

    msg = verdict_message(verdict, draft=DraftRef("Hi all"), titles={})
    client.chat_postMessage(channel=user, **validate_message(msg))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Unpack

from bot.adapters import clip
from bot.conversation import actions as A
from bot.conversation import screens, texts
from bot.conversation.actions import named
from bot.conversation.screens import Part, ScreenOptions, verdict_parts
from bot.conversation.texts import (
    DECISION_TITLES,
    STATE_TITLES,
    author_news,
    finding_labels,
    network_name,
    section_title,
    utc_time,
)
from bot.slack.text import escape, fit_quote
from bot.slack.values import DraftRef, dump_metadata, pack_draft
from bot.verdict import CATEGORIES, CHANNELS, Finding, Severity, Verdict
from bot.workflow.types import Submission

Block = dict[str, Any]
Message = dict[str, Any]
View = dict[str, Any]

# ---------------------------------------------------------------------- ids listeners match on

_ACTIONS = (A.SUBMIT, A.SUBMIT_JUSTIFY, A.APPROVE, A.CHANGES, A.REJECT, A.WITHDRAW, A.FEEDBACK)
(
    ACTION_SUBMIT,
    ACTION_SUBMIT_JUSTIFY,
    ACTION_APPROVE,
    ACTION_CHANGES,
    ACTION_REJECT,
    ACTION_WITHDRAW,
    ACTION_FEEDBACK,
) = named("canipost_", *_ACTIONS)
ACTION_OPEN_CHECK = "canipost_open_check"
ACTION_FEEDBACK_CONFIRM, ACTION_FEEDBACK_DISMISS, ACTION_WATCH_ADD, ACTION_WATCH_REMOVE = named(
    "canipost_", A.FEEDBACK_CONFIRM, A.FEEDBACK_DISMISS, A.WATCH_ADD, A.WATCH_REMOVE
)
VIEW_CHECK = "canipost_check"
VIEW_VERDICT = "canipost_verdict"
VIEW_NOTE = "canipost_decision_note"
VIEW_JUSTIFY = "canipost_justify"
VIEW_FEEDBACK = "canipost_feedback_form"
VIEW_WATCH = "canipost_watch_form"
SHORTCUT_CHECK_MESSAGE = "canipost_check_message"

BLOCK_DRAFT, INPUT_DRAFT = "draft", "draft_input"
BLOCK_NETWORK, INPUT_NETWORK = "network", "network_input"
BLOCK_BEHALF, INPUT_BEHALF = "behalf", "behalf_input"
BLOCK_NOTE, INPUT_NOTE = "note", "note_input"
BLOCK_EXPECTED, INPUT_EXPECTED = "expected", "expected_input"
BLOCK_CATEGORIES, INPUT_CATEGORIES = "categories", "categories_input"
BLOCK_KIND, INPUT_KIND = "kind", "kind_input"
BLOCK_TERM, INPUT_TERM = "term", "term_input"
BLOCK_UNTIL, INPUT_UNTIL = "until", "until_input"

# ---------------------------------------------------------------------- Slack's limits

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ID = 255
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_INPUT_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_FALLBACK_TEXT = 3000  # Slack allows 40k; notifications show far less
#: Longest draft text accepted in the modal's input (Slack's own maximum).
MAX_INPUT_CHARS = 3000
#: Findings listed in full before "and N more".
MAX_FINDINGS_SHOWN = 15
#: Draft shown on an approval card / a verdict before it is cut with a note.
DRAFT_ON_CARD = 2600
DRAFT_ON_VERDICT = 1500


class BlockKitLimitError(ValueError):
    """A payload exceeds one of Slack's Block Kit limits; the message names where."""


# ---------------------------------------------------------------------- primitives


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) if limit else text, "emoji": True}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(clip(text, MAX_SECTION_TEXT))}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(clip(t, MAX_CONTEXT_TEXT)) for t in texts[:MAX_CONTEXT_ELEMENTS]],
    }


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, MAX_HEADER_TEXT)}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> Block:
    out: Block = {"type": "button", "text": plain(text, MAX_BUTTON_TEXT), "action_id": action_id}
    if value:
        out["value"] = value
    if style:
        out["style"] = style
    if confirm:
        out["confirm"] = confirm
    return out


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def _ts(at: datetime | None) -> str:
    """A date Slack renders in each reader's own time zone, with a UTC fallback."""
    fallback = utc_time(at)
    if at is None:
        return fallback
    stamp = int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def _who(platform: str, user_id: str, name: str | None = None) -> str:
    if platform == "slack":
        return f"<@{user_id}>"
    return escape(f"{name} ({user_id})" if name else user_id)


# ---------------------------------------------------------------------- findings


def finding_text(finding: Finding, titles: Mapping[str, str]) -> str:
    """One finding as mrkdwn: what, the quoted words, why, what to do, which section."""
    category, severity, source = finding_labels(finding)
    lines = [f"*{category}* · {severity}" + (f" · _{source}_" if source else "")]
    if finding.quote:
        lines.append(f"> “{escape(clip(finding.quote, 200))}”")
    lines.append(escape(clip(finding.message, 900)))
    if finding.suggestion:
        lines.append(f"_Suggestion:_ {escape(clip(finding.suggestion, 900))}")
    if finding.policy_ref:
        lines.append(f":book: {escape(section_title(finding.policy_ref, titles))}")
    return "\n".join(lines)


def findings_blocks(findings: Sequence[Finding], titles: Mapping[str, str]) -> list[Block]:
    blocks = [section(finding_text(f, titles)) for f in findings[:MAX_FINDINGS_SHOWN]]
    hidden = len(findings) - MAX_FINDINGS_SHOWN
    if hidden > 0:
        blocks.append(context(f"…and {hidden} more finding{'s' if hidden > 1 else ''}."))
    return blocks


def _draft_blocks(text: str, limit: int) -> list[Block]:
    quoted, cut = fit_quote(text, limit)
    blocks = [section(quoted)]
    if cut:
        blocks.append(
            context(
                f":scissors: Long draft: showing the start of {len(text):,} characters; "
                "the whole draft was reviewed."
            )
        )
    return blocks


def _critique_blocks(critique: str, rewrite: str) -> list[Block]:
    blocks: list[Block] = []
    if critique:
        blocks.append(section("*AI review*\n" + escape(clip(critique, 2800))))
    if rewrite:
        quoted, _ = fit_quote(rewrite, 2800)
        blocks.append(section("*Suggested rewrite*\n" + quoted))
    return blocks


# ---------------------------------------------------------------------- verdicts


def verdict_blocks(
    verdict: Verdict,
    *,
    draft: DraftRef,
    titles: Mapping[str, str],
    **screen: Unpack[ScreenOptions],
) -> list[Block]:
    """The answer to "can I post this?" for the author, with what they can do next.

    ``needs_approval`` offers "Send to comms for approval"; ``do_not_post``
    offers it only through a justification form. Once ``submitted``, the
    buttons give way to the submission's id, state and a Withdraw button.
    """
    value = pack_draft(draft)
    parts = verdict_parts(verdict, draft, can_carry=value is not None, **screen)
    return [block for part in parts for block in _part_blocks(part, titles, value)]


def _part_blocks(part: Part, titles: Mapping[str, str], value: str | None) -> list[Block]:
    """One screen part as Block Kit (``value``: the draft packed for a button)."""
    kind = part.kind
    if kind == "title":
        return [section(f"*{part.text}*\n{part.detail}")]
    if kind == "draft":
        return _draft_blocks(part.text, DRAFT_ON_VERDICT)
    if kind == "findings":
        return [divider(), *findings_blocks(part.findings, titles)]
    if kind == "aside":
        return [context(escape(part.text))]
    if kind == "notice":
        return [context(escape(clip(part.text, 1500)))]
    if kind == "critique":
        return _critique_blocks(part.text, part.detail)
    if kind == "status" and part.submission is not None:
        sub = part.submission
        out = [submission_status_block(sub)]
        if part.withdrawable:
            out.append(
                actions(button(screens.WITHDRAW, ACTION_WITHDRAW, sub.id, confirm=_withdraw_ask()))
            )
        return out
    if kind == "route":
        return _route(part, value)
    if kind == "feedback" and value is not None:
        return [actions(button(part.text, ACTION_FEEDBACK, value), block_id="feedback")]
    if kind == "footer":
        return [context(f"Policy version `{part.text}`")]
    return []


def route_blocks(verdict: Verdict, draft: DraftRef) -> list[Block]:
    """The routing buttons for a verdict: send for approval, or justify first."""
    if verdict.decision < Severity.NEEDS_APPROVAL:
        return []
    value = pack_draft(draft)
    text = "" if value is not None else screens.TOO_LONG_TO_SEND
    return _route(Part("route", text, label=verdict.decision.label), value)


def _route(part: Part, value: str | None) -> list[Block]:
    if value is None or part.text:
        return [context(part.text or screens.TOO_LONG_TO_SEND)]
    if part.label == "do_not_post":
        button_ = button(screens.SEND_WITH_REASONS, ACTION_SUBMIT_JUSTIFY, value)
    else:
        button_ = button(screens.SEND, ACTION_SUBMIT, value, style="primary")
    return [actions(button_, block_id="route")]


def verdict_message(
    verdict: Verdict,
    *,
    draft: DraftRef,
    titles: Mapping[str, str],
    **screen: Unpack[ScreenOptions],
) -> Message:
    """:func:`verdict_blocks` as a message with its notification text."""
    return {
        "text": f"canipost: {DECISION_TITLES[verdict.decision.label].split(' ', 1)[1]}",
        "blocks": verdict_blocks(verdict, draft=draft, titles=titles, **screen),
    }


def verdict_view(
    verdict: Verdict,
    *,
    draft: DraftRef,
    titles: Mapping[str, str],
    **screen: Unpack[ScreenOptions],
) -> View:
    """The verdict inside a modal (after the form, or from the message shortcut).

    The draft travels in ``private_metadata`` so the modal's buttons can
    submit it; drafts too long for that get no button (see :func:`route_blocks`).
    """
    packed = pack_draft(draft, limit=MAX_PRIVATE_METADATA - 200)
    return {
        "type": "modal",
        "callback_id": VIEW_VERDICT,
        "title": plain("canipost"),
        "close": plain("Done"),
        "private_metadata": dump_metadata({"d": packed}) if packed else "",
        "blocks": verdict_blocks(verdict, draft=draft, titles=titles, **screen),
    }


def submission_status_block(sub: Submission) -> Block:
    state = STATE_TITLES.get(sub.state, sub.state)
    text = f"{state} · `{sub.id}`"
    if sub.state == "pending":
        text += " · sent to comms for approval"
    elif sub.decided_by is not None:
        text += f" · by {_who(sub.decided_by.platform, sub.decided_by.id, sub.decided_by.name)}"
    if sub.decision_note:
        text += f"\n_{escape(clip(sub.decision_note, 1000))}_"
    return context(text)


def _withdraw_ask() -> dict[str, Any]:
    return {
        "title": plain("Withdraw this draft?"),
        "text": plain("Approvers will see it was withdrawn."),
        "confirm": plain("Withdraw"),
        "deny": plain("Keep it"),
    }


# ---------------------------------------------------------------------- approval cards


def card_blocks(
    sub: Submission, *, titles: Mapping[str, str], on_behalf: bool | None = None
) -> list[Block]:
    """The approvers' card: who, where, the draft, why it was flagged, and the decision.

    While pending it carries Approve / Request changes / Reject; once
    closed the buttons go and the outcome (who, when, note) takes their place.
    """
    author = _who(sub.author.platform, sub.author.id, sub.author.name)
    fields = [
        mrkdwn(f"*From*\n{author}"),
        mrkdwn(f"*Network*\n{network_name(sub.channel)}"),
        mrkdwn(f"*Review*\n{DECISION_TITLES[sub.review_decision]}"),
        mrkdwn(f"*Submitted*\n{_ts(sub.created_at)}"),
    ]
    if on_behalf is not None:
        fields.append(mrkdwn(f"*Posting*\n{'For the organisation' if on_behalf else 'Personally'}"))
    blocks: list[Block] = [
        header(f"Draft for approval · {sub.id}"),
        {"type": "section", "fields": fields},
    ]
    if sub.text is not None:
        blocks.extend(_draft_blocks(sub.text, DRAFT_ON_CARD))
    else:
        blocks.append(context("_The draft text is no longer kept (retention)._"))
    if sub.note:
        blocks.append(section(f"*Author's note*\n{escape(clip(sub.note, 2000))}"))
    if sub.verdict.findings:
        blocks.append(divider())
        blocks.extend(findings_blocks(sub.verdict.findings, titles))
    blocks.extend(_critique_blocks(sub.verdict.critique or "", sub.verdict.rewrite or ""))
    blocks.append(divider())
    blocks.extend(card_outcome_blocks(sub))
    return blocks


def card_outcome_blocks(sub: Submission) -> list[Block]:
    if sub.state == "pending":
        out: list[Block] = []
        if sub.approvals_needed > 1:
            done = ", ".join(_who(a.by.platform, a.by.id, a.by.name) for a in sub.approvals)
            out.append(
                context(
                    f":busts_in_silhouette: Needs {sub.approvals_needed} approvals"
                    + (f"; approved so far by {done}" if done else "")
                )
            )
        out.append(
            actions(
                button("Approve", ACTION_APPROVE, sub.id, style="primary"),
                button("Request changes", ACTION_CHANGES, sub.id),
                button("Reject", ACTION_REJECT, sub.id, style="danger"),
                block_id="decide",
            )
        )
        return out
    state = STATE_TITLES.get(sub.state, sub.state)
    if sub.state == "expired":
        text = f"*{state}* {_ts(sub.decided_at)} without a decision"
    elif sub.decided_by is not None:
        who = _who(sub.decided_by.platform, sub.decided_by.id, sub.decided_by.name)
        text = f"*{state}* by {who} · {_ts(sub.decided_at)}"
    else:
        text = f"*{state}* · {_ts(sub.decided_at)}"
    if sub.decision_note:
        text += f"\n> {escape(clip(sub.decision_note, 2000))}"
    return [section(text)]


def card_message(
    sub: Submission, *, titles: Mapping[str, str], on_behalf: bool | None = None
) -> Message:
    state = sub.state.replace("_", " ")
    return {
        "text": f"Draft {sub.id} for approval ({state})",
        "blocks": card_blocks(sub, titles=titles, on_behalf=on_behalf),
    }


def thread_message(text: str) -> Message:
    """A short threaded note on a card (reminders, escalations, withdrawals)."""
    return {"text": clip(text, MAX_FALLBACK_TEXT), "blocks": [section(text)]}


def author_dm(sub: Submission) -> Message:
    """Tell the author what happened to their draft (and what to do next)."""
    state = STATE_TITLES.get(sub.state, sub.state)
    line = author_news(sub, lambda a: _who(a.platform, a.id, a.name))
    blocks: list[Block] = [section(f"*{state}*\n{line}")]
    if sub.decision_note:
        blocks.append(section(f"*Note*\n{escape(clip(sub.decision_note, 2000))}"))
    if sub.text is not None:
        blocks.extend(_draft_blocks(sub.text, 1500))
    if sub.state == "changes_requested":
        blocks.append(context("Edit the draft and check it again with `/canipost`."))
    return {"text": line, "blocks": blocks}


# ---------------------------------------------------------------------- App Home


def home_view(
    *,
    mine: Sequence[Submission],
    queue: Sequence[Submission] | None,
    now: datetime | None = None,
    notice: str | None = None,
    reports: Sequence[Any] | None = None,
    watch: Sequence[Any] | None = None,
) -> View:
    """The App Home: a Check button, your recent submissions; approvers also get the queue."""
    blocks: list[Block] = [
        header("Can I post this?"),
        section(
            "Check a social media draft against our policy before you post it. "
            "Type `/canipost your draft` anywhere, use *Check with canipost* on a message, "
            "or press the button.",
            accessory=button("Check a draft", ACTION_OPEN_CHECK, style="primary"),
        ),
    ]
    if notice:
        blocks.append(context(escape(clip(notice, 1500))))
    if queue is not None:
        shown = list(queue)[:20]
        blocks += [divider(), header(f"Awaiting approval ({len(queue)})")]
        if not shown:
            blocks.append(context("Nothing is waiting. :tada:"))
        for sub in shown:
            blocks.append(section(_queue_line(sub, now)))
            blocks.append(
                actions(
                    button("Approve", ACTION_APPROVE, sub.id, style="primary"),
                    button("Request changes", ACTION_CHANGES, sub.id),
                    button("Reject", ACTION_REJECT, sub.id, style="danger"),
                    block_id=f"decide_{sub.id}",
                )
            )
        if len(queue) > len(shown):
            blocks.append(context(f"…and {len(queue) - len(shown)} more, newer."))
    if reports is not None:
        blocks += _report_blocks(reports)
    if watch is not None:
        blocks += _watch_blocks(watch)
    blocks += [divider(), header("Your recent submissions")]
    if not mine:
        blocks.append(context("You haven't sent anything for approval yet."))
    for sub in list(mine)[:15]:
        accessory = (
            button("Withdraw", ACTION_WITHDRAW, sub.id, confirm=_withdraw_ask())
            if sub.is_open
            else None
        )
        blocks.append(section(_mine_line(sub), accessory=accessory))
    return {"type": "home", "blocks": blocks}


def _excerpt(sub: Submission, limit: int = 140) -> str:
    if sub.text is None:
        return "_(text no longer kept)_"
    one_line = " ".join(sub.text.split())
    return "“" + escape(clip(one_line, limit)) + "”"


def _queue_line(sub: Submission, now: datetime | None) -> str:
    author = _who(sub.author.platform, sub.author.id, sub.author.name)
    return (
        f"*`{sub.id}`* from {author} · {network_name(sub.channel)} · "
        f"{DECISION_TITLES[sub.review_decision]} · waiting since {_ts(sub.created_at)}\n"
        f"{_excerpt(sub)}"
    )


def _mine_line(sub: Submission) -> str:
    state = STATE_TITLES.get(sub.state, sub.state)
    line = f"{state} · `{sub.id}` · {network_name(sub.channel)} · {_ts(sub.created_at)}\n"
    line += _excerpt(sub)
    if sub.decision_note:
        line += f"\n_{escape(clip(sub.decision_note, 300))}_"
    return line


# ---------------------------------------------------------------------- modals


def _options(pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": plain(label, MAX_OPTION_TEXT), "value": value} for value, label in pairs]


def _report_blocks(reports: Sequence[Any]) -> list[Block]:
    """Approvers' App Home: "Was this right?" reports waiting for a confirm or dismiss."""
    shown = list(reports)[:10]
    blocks: list[Block] = [divider(), header(f"Reports to review ({len(reports)})")]
    if not shown:
        blocks.append(context("No reports are waiting."))
    for item in shown:
        kind = item.kind.replace("_", " ")
        cats = f" · {', '.join(item.categories)}" if item.categories else ""
        line = (
            f"*{DECISION_TITLES.get(item.expected, item.expected)}* ({kind}{cats}) from "
            f"{_who(item.platform, item.by)} · rules said {item.rules_decision.replace('_', ' ')}"
        )
        blocks.append(section(line + "\n" + fit_quote(item.text, 1200)[0]))
        if item.note:
            blocks.append(context(escape(clip(item.note, 500))))
        blocks.append(
            actions(
                button("Confirm", ACTION_FEEDBACK_CONFIRM, item.id, style="primary"),
                button("Dismiss", ACTION_FEEDBACK_DISMISS, item.id),
                block_id=f"report_{item.id}",
            )
        )
    return blocks


def _watch_blocks(entries: Sequence[Any]) -> list[Block]:
    """Approvers' App Home: the watch list (confidential: only approvers are shown it)."""
    blocks: list[Block] = [
        divider(),
        header(f"Watch list ({len(entries)})"),
        section(
            "Terms every check flags: live cases, injunctions, embargoes, codenames. "
            "Staff never see the list.",
            accessory=button("Add to watch list", ACTION_WATCH_ADD),
        ),
    ]
    for entry in list(entries)[:25]:
        until = f" · until {entry.until:%Y-%m-%d}" if entry.until else ""
        line = f"`{entry.id}` *{escape(entry.term)}* · {entry.kind}{until}"
        if entry.note:
            line += f"\n_{escape(clip(entry.note, 300))}_"
        remove = button("Remove", ACTION_WATCH_REMOVE, entry.id, style="danger")
        blocks.append(section(line, accessory=remove))
    return blocks


def watch_modal() -> View:
    """Add a term to the watch list: its kind, the term, until when, a note for approvers."""
    from bot.watch.kinds import KINDS

    return {
        "type": "modal",
        "callback_id": VIEW_WATCH,
        "title": plain("Add to watch list"),
        "submit": plain("Add"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_KIND,
                "label": plain("Kind"),
                "element": {
                    "type": "static_select",
                    "action_id": INPUT_KIND,
                    "options": _options((k, k.capitalize()) for k in KINDS),
                },
            },
            {
                "type": "input",
                "block_id": BLOCK_TERM,
                "label": plain("Term (a name, codename or phrase)"),
                "element": {"type": "plain_text_input", "action_id": INPUT_TERM, "max_length": 200},
            },
            {
                "type": "input",
                "block_id": BLOCK_UNTIL,
                "optional": True,
                "label": plain("Stop flagging it from (an embargo's lift date)"),
                "element": {"type": "datepicker", "action_id": INPUT_UNTIL},
            },
            {
                "type": "input",
                "block_id": BLOCK_NOTE,
                "optional": True,
                "label": plain("Note for approvers (staff never see it)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_NOTE,
                    "multiline": True,
                    "max_length": 1000,
                },
            },
        ],
    }


def feedback_modal(packed: str) -> View:
    """ "Was this right?": the decision it should have had, the kind of problem, a note."""
    decisions = [(label, DECISION_TITLES[label]) for label in DECISION_TITLES]
    categories = [(c, c.capitalize()) for c in CATEGORIES]
    return {
        "type": "modal",
        "callback_id": VIEW_FEEDBACK,
        "title": plain("Was this right?"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "private_metadata": dump_metadata({"d": packed}),
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_EXPECTED,
                "label": plain(texts.FEEDBACK_EXPECTED),
                "element": {
                    "type": "static_select",
                    "action_id": INPUT_EXPECTED,
                    "options": _options(decisions),
                },
            },
            {
                "type": "input",
                "block_id": BLOCK_CATEGORIES,
                "optional": True,
                "label": plain(texts.FEEDBACK_CATEGORIES),
                "element": {
                    "type": "multi_static_select",
                    "action_id": INPUT_CATEGORIES,
                    "options": _options(categories),
                },
            },
            {
                "type": "input",
                "block_id": BLOCK_NOTE,
                "optional": True,
                "label": plain(texts.FEEDBACK_NOTE),
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_NOTE,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def notice_view(title: str, text: str) -> View:
    """A modal that only says something (what a form turns into once it is done)."""
    return {
        "type": "modal",
        "title": plain(title, MAX_VIEW_TITLE),
        "close": plain("Done"),
        "blocks": [section(escape(text))],
    }


def check_modal(*, initial_text: str = "", metadata: Mapping[str, Any] | None = None) -> View:
    """The form behind a bare ``/canipost``: draft, network, organisation or personal."""
    networks = [(c, network_name(c)) for c in CHANNELS if c != "x"]
    draft_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": INPUT_DRAFT,
        "multiline": True,
        "max_length": MAX_INPUT_CHARS,
        "placeholder": plain("Paste or type the post you want to publish"),
    }
    if initial_text:
        draft_input["initial_value"] = initial_text[:MAX_INPUT_CHARS]
    behalf = _options([("org", "For the organisation"), ("personal", "Personally")])
    return {
        "type": "modal",
        "callback_id": VIEW_CHECK,
        "title": plain("Check a draft"),
        "submit": plain("Check"),
        "close": plain("Cancel"),
        "private_metadata": dump_metadata(dict(metadata or {})),
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_DRAFT,
                "label": plain("Your draft"),
                "element": draft_input,
            },
            {
                "type": "input",
                "block_id": BLOCK_NETWORK,
                "label": plain("Where will you post it?"),
                "element": {
                    "type": "static_select",
                    "action_id": INPUT_NETWORK,
                    "options": _options(networks),
                    "initial_option": _options([("any", network_name("any"))])[0],
                },
            },
            {
                "type": "input",
                "block_id": BLOCK_BEHALF,
                "label": plain("Are you posting for the organisation or personally?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": INPUT_BEHALF,
                    "options": behalf,
                    "initial_option": behalf[0],
                },
            },
        ],
    }


def note_modal(submission_id: str, decision: str, *, origin: Mapping[str, Any]) -> View:
    """Ask the approver why (changes and rejections need a note for the author)."""
    title = "Request changes" if decision == "changes" else "Reject draft"
    label = "What should the author change?" if decision == "changes" else "Why is it rejected?"
    return {
        "type": "modal",
        "callback_id": VIEW_NOTE,
        "title": plain(title),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "private_metadata": dump_metadata({"id": submission_id, "decision": decision, **origin}),
        "blocks": [
            section(f"Draft `{submission_id}`. The author will see your note."),
            {
                "type": "input",
                "block_id": BLOCK_NOTE,
                "label": plain(label),
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_NOTE,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def justify_modal(packed_draft: str, *, origin: Mapping[str, Any]) -> View:
    """A ``do_not_post`` draft reaches comms only with the author's reasons."""
    return {
        "type": "modal",
        "callback_id": VIEW_JUSTIFY,
        "title": plain("Send with a reason"),
        "submit": plain("Send to comms"),
        "close": plain("Cancel"),
        "private_metadata": dump_metadata({"d": packed_draft, **origin}),
        "blocks": [
            section(
                "Our rules say this draft should *not* be posted. If you believe it should, "
                "tell comms why: they will see your reasons with the draft."
            ),
            {
                "type": "input",
                "block_id": BLOCK_NOTE,
                "label": plain("Why should this be posted?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_NOTE,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


# ---------------------------------------------------------------------- answers, help, errors


def answer_message(answer: Mapping[str, Any], *, question: str | None = None) -> Message:
    """A policy answer with its citations (``bot.ask.Answer.to_dict()``)."""
    text = str(answer.get("answer") or "I couldn't find that in the policy.")
    blocks: list[Block] = []
    if question:
        blocks.append(context(f"_{escape(clip(question, 300))}_"))
    blocks.append(section(escape(clip(text, 2900))))
    cites: list[str] = []
    for c in list(answer.get("citations") or [])[:8]:
        line = f":book: *{escape(clip(str(c.get('section') or c.get('anchor') or ''), 150))}*"
        if c.get("quote"):
            line += f"\n> {escape(clip(' '.join(str(c['quote']).split()), 400))}"
        cites.append(line)
    if cites:
        blocks.append(section("\n".join(cites)))
    if answer.get("llm") == "failed":
        blocks.append(context("The AI answer wasn't available; this is from the policy text."))
    return {"text": clip(text, MAX_FALLBACK_TEXT), "blocks": blocks}


def pending_message(text: str) -> Message:
    return {"text": text, "blocks": [context(escape(text))]}


def help_text(*, approver: bool = False, admin: bool = False) -> str:
    """What the Slack help says: every thing this person can do in Slack
    (:data:`bot.conversation.texts.HELP_LINES`, filtered for them), in Slack mrkdwn."""
    from bot.conversation import texts

    lines = texts.help_lines("slack", approver=approver, admin=admin)
    bullets = [f"• {md_to_mrkdwn(x)}" for x in lines]
    return "\n".join([md_to_mrkdwn(texts.HELP_INTRO), *bullets, texts.HELP_OUTRO_SLACK])


def md_to_mrkdwn(text: str) -> str:
    """Markdown bold (``**x**``) as Slack's (``*x*``); code spans are the same in both."""
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)


def help_message(*, approver: bool = False, admin: bool = False) -> Message:
    """The help; approvers also see the watch list and reports, admins the settings."""
    return {
        "text": "How to use canipost",
        "blocks": [section(help_text(approver=approver, admin=admin))],
    }


def text_message(text: str) -> Message:
    """A plain one-section message (refusals, confirmations)."""
    return {"text": clip(text, MAX_FALLBACK_TEXT), "blocks": [section(escape(text))]}


def error_message(reference: str) -> Message:
    """What a person sees when something failed on our side: never the details."""
    text = (
        ":warning: Sorry, something went wrong on our side. Please try again in a moment; "
        f"if it keeps happening, tell the canipost admins and quote reference `{reference}`."
    )
    return {"text": f"Something went wrong (reference {reference})", "blocks": [section(text)]}


# ---------------------------------------------------------------------- limits


def _check_text(obj: Any, limit: int, where: str) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise BlockKitLimitError(f"{where}: expected a text object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise BlockKitLimitError(f"{where}: text is missing")
    if len(text) > limit:
        raise BlockKitLimitError(f"{where}: {len(text)} characters (limit {limit})")
    if not text.strip():
        raise BlockKitLimitError(f"{where}: text is empty")


def _check_element(el: dict[str, Any], where: str, action_ids: set[str]) -> None:
    kind = el.get("type")
    aid = el.get("action_id")
    if aid is not None:
        if len(aid) > MAX_ID:
            raise BlockKitLimitError(f"{where}.action_id: longer than {MAX_ID}")
        if aid in action_ids:
            raise BlockKitLimitError(f"{where}.action_id: {aid!r} is not unique")
        action_ids.add(aid)
    if kind == "button":
        _check_text(el.get("text"), MAX_BUTTON_TEXT, f"{where}.text")
        if el.get("text", {}).get("type") != "plain_text":
            raise BlockKitLimitError(f"{where}.text: buttons take plain_text")
        if len(str(el.get("value", ""))) > MAX_BUTTON_VALUE:
            raise BlockKitLimitError(f"{where}.value: longer than {MAX_BUTTON_VALUE}")
    elif kind in ("static_select", "radio_buttons"):
        options = el.get("options") or []
        if not 0 < len(options) <= MAX_OPTIONS:
            raise BlockKitLimitError(f"{where}.options: 1-{MAX_OPTIONS} required")
        for j, opt in enumerate(options):
            _check_text(opt.get("text"), MAX_OPTION_TEXT, f"{where}.options[{j}].text")
            if len(str(opt.get("value", ""))) > MAX_OPTION_VALUE:
                raise BlockKitLimitError(f"{where}.options[{j}].value: too long")
    elif kind == "plain_text_input":
        if "placeholder" in el:
            _check_text(el["placeholder"], MAX_PLACEHOLDER, f"{where}.placeholder")
        if len(str(el.get("initial_value", ""))) > MAX_INPUT_CHARS:
            raise BlockKitLimitError(f"{where}.initial_value: too long")


def validate_blocks(blocks: Sequence[Block], *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> None:
    """Raise :class:`BlockKitLimitError` when ``blocks`` break a Block Kit limit."""
    if len(blocks) > max_blocks:
        raise BlockKitLimitError(f"{len(blocks)} blocks (limit {max_blocks})")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        action_ids: set[str] = set()  # Slack wants action ids unique within a block
        kind = block.get("type")
        bid = block.get("block_id")
        if bid is not None:
            if len(bid) > MAX_ID or bid in block_ids:
                raise BlockKitLimitError(f"{where}.block_id: too long or not unique")
            block_ids.add(bid)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                raise BlockKitLimitError(f"{where}: a section needs text or fields")
            if "text" in block:
                _check_text(block["text"], MAX_SECTION_TEXT, f"{where}.text")
            fields = block.get("fields") or []
            if len(fields) > MAX_FIELDS:
                raise BlockKitLimitError(f"{where}.fields: {len(fields)} (limit {MAX_FIELDS})")
            for j, f in enumerate(fields):
                _check_text(f, MAX_FIELD_TEXT, f"{where}.fields[{j}]")
            if "accessory" in block:
                _check_element(block["accessory"], f"{where}.accessory", action_ids)
        elif kind == "header":
            _check_text(block.get("text"), MAX_HEADER_TEXT, f"{where}.text")
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= MAX_CONTEXT_ELEMENTS:
                raise BlockKitLimitError(f"{where}.elements: 1-{MAX_CONTEXT_ELEMENTS} required")
            for j, el in enumerate(elements):
                _check_text(el, MAX_CONTEXT_TEXT, f"{where}.elements[{j}]")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= MAX_ACTIONS_ELEMENTS:
                raise BlockKitLimitError(f"{where}.elements: 1-{MAX_ACTIONS_ELEMENTS} required")
            for j, el in enumerate(elements):
                _check_element(el, f"{where}.elements[{j}]", action_ids)
        elif kind == "input":
            _check_text(block.get("label"), MAX_INPUT_LABEL, f"{where}.label")
            _check_element(block.get("element") or {}, f"{where}.element", action_ids)
        elif kind != "divider":
            raise BlockKitLimitError(f"{where}: block type {kind!r} is not one we build")


def validate_message(message: Message) -> Message:
    """Check a message payload (``text`` + ``blocks``) and return it unchanged."""
    text = message.get("text")
    if not isinstance(text, str) or not text or len(text) > MAX_FALLBACK_TEXT:
        raise BlockKitLimitError("text: a 1-3000 character notification text is required")
    validate_blocks(message.get("blocks") or [], max_blocks=MAX_MESSAGE_BLOCKS)
    return message


def validate_view(view: View) -> View:
    """Check a modal or App Home view and return it unchanged."""
    if view.get("type") == "modal":
        _check_text(view.get("title"), MAX_VIEW_TITLE, "title")
        for key in ("submit", "close"):
            if key in view:
                _check_text(view[key], MAX_VIEW_TITLE, key)
        if len(view.get("callback_id") or "") > MAX_ID:
            raise BlockKitLimitError("callback_id: too long")
    elif view.get("type") != "home":
        raise BlockKitLimitError(f"view type {view.get('type')!r} is not modal or home")
    if len(view.get("private_metadata") or "") > MAX_PRIVATE_METADATA:
        raise BlockKitLimitError(f"private_metadata: longer than {MAX_PRIVATE_METADATA}")
    validate_blocks(view.get("blocks") or [], max_blocks=MAX_VIEW_BLOCKS)
    return view
