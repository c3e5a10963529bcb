"""Adaptive Card builders: pure functions from our values to Teams cards (schema 1.5).

Nothing here calls Teams or reads the environment, so every card the app
shows (verdicts, the approvers' card, the author's news, answers) is tested
as plain data against the Adaptive Card 1.5 subset Teams renders
(:func:`bot.teams.card_schema.validate_card`); every card sent also passes
the cheap limit checks of :func:`~bot.teams.card_schema.check_card`.

    card = verdict_card(verdict, draft=DraftRef("Hi all"), titles={})
    await context.send_activity(card_activity(card, summary="canipost: OK to post"))

Draft text, quotes, notes and AI output go in ``RichTextBlock`` runs, which
Teams never reads as markdown, so a draft shows exactly as typed; our own
words go in ``TextBlock``s. Buttons are ``Action.Execute`` (universal
actions): Teams sends an ``adaptiveCard/action`` invoke and shows the card we
answer with in place. Inside a dialog (the message-extension action) Teams
only takes ``Action.Submit``, so :func:`verdict_card` switches with ``dialog``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Unpack

from bot.adapters import clip
from bot.conversation import actions as A
from bot.conversation import screens, texts
from bot.conversation.actions import named
from bot.conversation.refs import DraftRef
from bot.conversation.screens import Part, ScreenOptions, verdict_parts
from bot.teams.text import md_escape
from bot.verdict import CATEGORIES, Finding, Severity, Verdict
from bot.workflow.types import Actor, Submission

Card = dict[str, Any]
Element = dict[str, Any]

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
#: The Adaptive Card version Teams renders everywhere (desktop, web, mobile).
CARD_VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

# ---------------------------------------------------------------------- verbs the agent routes on

_NAMES = (
    A.SUBMIT,
    A.WITHDRAW,
    A.APPROVE,
    A.CHANGES,
    A.REJECT,
    A.REFRESH,
    A.FEEDBACK,
    A.FEEDBACK_CONFIRM,
    A.FEEDBACK_DISMISS,
    A.WATCH_ADD,
    A.WATCH_REMOVE,
)
(
    VERB_SUBMIT,
    VERB_WITHDRAW,
    VERB_APPROVE,
    VERB_CHANGES,
    VERB_REJECT,
    VERB_REFRESH,
    VERB_FEEDBACK,
    VERB_FEEDBACK_CONFIRM,
    VERB_FEEDBACK_DISMISS,
    VERB_WATCH_ADD,
    VERB_WATCH_REMOVE,
) = named("canipost.", *_NAMES)
#: Every ``Action.Execute`` verb a card may carry; the validator refuses others.
VERBS: frozenset[str] = frozenset(named("canipost.", *_NAMES)) | {"canipost.settings_save"}
#: Save on the admins' settings card (issue 16).
VERB_SETTINGS_SAVE = "canipost.settings_save"
#: ``Action.Submit`` (dialogs) carries its verb under this data key.
SUBMIT_KEY = "canipost"
DECISION_VERBS: dict[str, str] = {f"canipost.{n}": verb for n, verb in A.DECISIONS.items()}

INPUT_NOTE = "note"
INPUT_JUSTIFICATION = "justification"
INPUT_EXPECTED = "expected"
INPUT_CATEGORIES = "categories"
INPUT_FEEDBACK_NOTE = "feedback_note"
INPUT_WATCH_KIND = "watch_kind"
INPUT_WATCH_TERM = "watch_term"
INPUT_WATCH_UNTIL = "watch_until"
INPUT_WATCH_NOTE = "watch_note"

# ---------------------------------------------------------------------- sizes

#: Findings listed in full before "and N more".
MAX_FINDINGS_SHOWN = 12
#: Draft shown on an approval card / a verdict before it is cut with a note.
DRAFT_ON_CARD = 2600
DRAFT_ON_VERDICT = 1500
MAX_NOTE = 2000

DECISION_STYLES: dict[str, str] = {
    "ok": "good",
    "advise": "accent",
    "needs_approval": "warning",
    "do_not_post": "attention",
}


# ---------------------------------------------------------------------- primitives


def text_block(text: str, **props: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def plain_text(text: str, **run: Any) -> Element:
    """User-supplied text, shown verbatim (a ``TextRun`` is never read as markdown)."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **run}]}


def container(items: list[Element], **props: Any) -> Element:
    return {"type": "Container", "items": items, **props}


def fact_set(facts: Sequence[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]}


def execute(title: str, verb: str, data: Mapping[str, Any], **props: Any) -> Element:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": dict(data), **props}


def submit(title: str, verb: str, data: Mapping[str, Any], **props: Any) -> Element:
    return {"type": "Action.Submit", "title": title, "data": {SUBMIT_KEY: verb, **data}, **props}


def note_input(
    input_id: str, label: str, *, required: bool = False, placeholder: str = ""
) -> Element:
    el: Element = {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": True,
        "maxLength": MAX_NOTE,
    }
    if placeholder:
        el["placeholder"] = placeholder
    if required:
        el["isRequired"] = True
        el["errorMessage"] = "Please fill this in."
    return el


def adaptive_card(
    body: list[Element],
    actions: list[Element] | None = None,
    *,
    refresh: Element | None = None,
) -> Card:
    """The card envelope: schema 1.5, full width in Teams."""
    card: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    if refresh is not None:
        card["refresh"] = refresh
    return card


def when(at: datetime | None) -> str:
    """A UTC time for a card (Teams cannot localise a FactSet value)."""
    return texts.utc_time(at)


def who(actor: Actor | None) -> str:
    """A person as markdown-safe text: their name, else their id."""
    if actor is None:
        return "nobody"
    return md_escape(actor.name or actor.id)


# ---------------------------------------------------------------------- findings


def finding_items(finding: Finding, titles: Mapping[str, str]) -> list[Element]:
    """One finding: what, the quoted words, why, what to do, which protocol section."""
    category, severity, source = texts.finding_labels(finding)
    head = f"**{category}** · {severity}" + (f" · _{source}_" if source else "")
    items: list[Element] = [text_block(head)]
    if finding.quote:
        items.append(plain_text(f"“{clip(finding.quote, 200)}”", italic=True))
    items.append(plain_text(clip(finding.message, 900)))
    if finding.suggestion:
        items.append(plain_text(f"Suggestion: {clip(finding.suggestion, 900)}", isSubtle=True))
    if finding.policy_ref:
        items.append(
            text_block(
                f"📖 {md_escape(texts.section_title(finding.policy_ref, titles))}", isSubtle=True
            )
        )
    return items


def findings_elements(findings: Sequence[Finding], titles: Mapping[str, str]) -> list[Element]:
    out = [
        container(finding_items(f, titles), separator=True, spacing="Medium")
        for f in findings[:MAX_FINDINGS_SHOWN]
    ]
    hidden = len(findings) - MAX_FINDINGS_SHOWN
    if hidden > 0:
        out.append(
            text_block(f"…and {hidden} more finding{'s' if hidden > 1 else ''}.", isSubtle=True)
        )
    return out


def draft_elements(text: str, limit: int) -> list[Element]:
    shown = clip(text, limit)
    out = [container([plain_text(shown)], style="emphasis")]
    if shown != text:
        out.append(
            text_block(
                f"✂️ Long draft: showing the start of {len(text):,} characters; "
                "the whole draft was reviewed.",
                isSubtle=True,
                size="Small",
            )
        )
    return out


def critique_elements(critique: str, rewrite: str) -> list[Element]:
    out: list[Element] = []
    if critique:
        out.append(text_block("**AI review**", separator=True))
        out.append(plain_text(clip(critique, 2800)))
    if rewrite:
        out.append(text_block("**Suggested rewrite**"))
        out.append(container([plain_text(clip(rewrite, 2800))], style="emphasis"))
    return out


# ---------------------------------------------------------------------- verdicts


def verdict_card(
    verdict: Verdict,
    *,
    draft: DraftRef,
    titles: Mapping[str, str],
    dialog: bool = False,
    **screen: Unpack[ScreenOptions],
) -> Card:
    """The answer to "can I post this?" for the author, with what they can do next.

    ``needs_approval`` offers "Send to comms for approval"; ``do_not_post``
    offers it only with a justification typed into the card. Once
    ``submitted``, the buttons give way to the submission's id and state and
    a Withdraw button.
    """
    data = draft.to_data()
    parts = verdict_parts(verdict, draft, can_carry=data is not None, **screen)
    body: list[Element] = []
    actions: list[Element] = []
    for part in parts:
        elements, buttons = _part_elements(part, titles, data, dialog=dialog)
        body.extend(elements)
        actions.extend(buttons)
    return adaptive_card(body, actions)


def _part_elements(
    part: Part, titles: Mapping[str, str], data: dict[str, Any] | None, *, dialog: bool
) -> tuple[list[Element], list[Element]]:
    """One screen part as card elements and buttons (``data``: the draft for a button)."""
    kind = part.kind
    if kind == "title":
        head = [
            text_block(part.text, weight="Bolder", size="Medium"),
            text_block(part.detail, isSubtle=True, spacing="None"),
        ]
        return [container(head, style=DECISION_STYLES[part.label], bleed=True)], []
    if kind == "draft":
        return draft_elements(part.text, DRAFT_ON_VERDICT), []
    if kind == "findings":
        return findings_elements(part.findings, titles), []
    if kind == "aside":
        return [text_block(part.text, isSubtle=True)], []
    if kind == "notice":
        return [plain_text(clip(part.text, 1500), weight="Bolder")], []
    if kind == "critique":
        return critique_elements(part.text, part.detail), []
    if kind == "status" and part.submission is not None:
        sub = part.submission
        buttons = []
        if part.withdrawable and not dialog:
            buttons.append(execute(screens.WITHDRAW, VERB_WITHDRAW, {"sid": sub.id}))
        return [submission_status(sub)], buttons
    if kind == "route":
        return _route(part, data, dialog=dialog)
    if kind == "feedback" and data is not None and not dialog:
        return [], [feedback_action(part.text, data)]
    if kind == "footer":
        return [text_block(f"Policy version {part.text}", isSubtle=True, size="Small")], []
    return [], []


def feedback_action(title: str, data: Mapping[str, Any]) -> Element:
    """ "Was this right?": a card that opens under the verdict with the report's inputs."""
    decisions = [{"title": t, "value": v} for v, t in texts.DECISION_TITLES.items()]
    categories = [{"title": c.capitalize(), "value": c} for c in CATEGORIES]
    form: Card = {
        "type": "AdaptiveCard",
        "body": [
            {
                "type": "Input.ChoiceSet",
                "id": INPUT_EXPECTED,
                "label": texts.FEEDBACK_EXPECTED,
                "choices": decisions,
                "style": "compact",
                "isRequired": True,
                "errorMessage": "Choose the verdict it should have had.",
            },
            {
                "type": "Input.ChoiceSet",
                "id": INPUT_CATEGORIES,
                "label": texts.FEEDBACK_CATEGORIES,
                "choices": categories,
                "isMultiSelect": True,
                "style": "compact",
            },
            note_input(INPUT_FEEDBACK_NOTE, texts.FEEDBACK_NOTE),
        ],
        "actions": [execute("Send", VERB_FEEDBACK, data)],
    }
    return {"type": "Action.ShowCard", "title": title, "card": form}


def route_elements(
    verdict: Verdict, draft: DraftRef, *, dialog: bool = False
) -> tuple[list[Element], list[Element]]:
    """The way to comms for a risky verdict: a button, or a justification and a button."""
    if verdict.decision < Severity.NEEDS_APPROVAL:
        return [], []
    data = draft.to_data()
    text = "" if data is not None else screens.TOO_LONG_TO_SEND
    return _route(Part("route", text, label=verdict.decision.label), data, dialog=dialog)


def _route(
    part: Part, data: dict[str, Any] | None, *, dialog: bool
) -> tuple[list[Element], list[Element]]:
    if data is None or part.text:
        return [text_block(part.text or screens.TOO_LONG_TO_SEND, isSubtle=True)], []
    button = submit if dialog else execute
    if part.label == "do_not_post":
        return [
            note_input(
                INPUT_JUSTIFICATION,
                "Still want to post it? Tell comms why",
                required=True,
                placeholder="Why this should go out as it is",
            )
        ], [button("Send to comms with this justification", VERB_SUBMIT, data)]
    return [], [button(screens.SEND, VERB_SUBMIT, data, style="positive")]


def submission_status(sub: Submission) -> Element:
    state = texts.STATE_TITLES.get(sub.state, sub.state)
    line = f"**{state}** · {sub.id}"
    if sub.state == "pending":
        line += " · sent to comms for approval"
    elif sub.decided_by is not None:
        line += f" · by {who(sub.decided_by)}"
    items = [text_block(line)]
    if sub.decision_note:
        items.append(plain_text(clip(sub.decision_note, 1000), italic=True))
    return container(items, separator=True)


# ---------------------------------------------------------------------- approval card


def user_mri(ident: str) -> str:
    """A Teams user MRI for ``refresh.userIds``: an Entra object id (how approvers are
    configured) becomes ``8:orgid:<id>``; an id that already is an MRI is kept."""
    import re

    if re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", ident):
        return f"8:orgid:{ident.lower()}"
    return ident


def approval_card(
    sub: Submission,
    *,
    titles: Mapping[str, str],
    on_behalf: bool | None = None,
    approvers: Sequence[str] = (),
) -> Card:
    """The approvers' card: who, where, the draft, why it was flagged, and the decision.

    While pending it carries a note field and Approve / Request changes /
    Reject; once closed the buttons go and the outcome takes their place. Its
    ``refresh`` action lets Teams fetch the current state from us whenever
    someone opens a stale copy.
    """
    facts = [
        ("From", who(sub.author)),
        ("Network", texts.network_name(sub.channel)),
        ("Review", texts.DECISION_TITLES[sub.review_decision]),
        ("Submitted", when(sub.created_at)),
    ]
    if on_behalf is not None:
        facts.append(("Posting", "For the organisation" if on_behalf else "Personally"))
    body: list[Element] = [
        text_block(f"Draft for approval · {sub.id}", weight="Bolder", size="Medium"),
        fact_set(facts),
    ]
    if sub.text is not None:
        body.extend(draft_elements(sub.text, DRAFT_ON_CARD))
    else:
        body.append(text_block("_The draft text is no longer kept (retention)._", isSubtle=True))
    if sub.note:
        body.append(text_block("**Author's note**"))
        body.append(plain_text(clip(sub.note, MAX_NOTE)))
    if sub.verdict.findings:
        body.extend(findings_elements(sub.verdict.findings, titles))
    body.extend(critique_elements(sub.verdict.critique or "", sub.verdict.rewrite or ""))
    actions: list[Element] = []
    if sub.state == "pending":
        if sub.approvals_needed > 1:
            done = ", ".join(who(a.by) for a in sub.approvals)
            body.append(
                text_block(
                    f"👥 Needs {sub.approvals_needed} approvals"
                    + (f"; approved so far by {done}" if done else ""),
                    separator=True,
                )
            )
        body.append(
            note_input(
                INPUT_NOTE,
                "Note to the author (needed to request changes or reject)",
                placeholder="What should change, or why not",
            )
        )
        data = {"sid": sub.id}
        actions = [
            execute("Approve", VERB_APPROVE, data, style="positive"),
            execute("Request changes", VERB_CHANGES, data),
            execute("Reject", VERB_REJECT, data, style="destructive"),
        ]
    else:
        body.append(outcome(sub))
    refresh: Element = {"action": execute("Refresh", VERB_REFRESH, {"sid": sub.id})}
    if approvers:  # Teams refreshes automatically only for these users, 60 at most (issue 16)
        refresh["userIds"] = list(dict.fromkeys(user_mri(a) for a in approvers))[:60]
    return adaptive_card(body, actions, refresh=refresh)


def outcome(sub: Submission) -> Element:
    state = texts.STATE_TITLES.get(sub.state, sub.state)
    if sub.state == "expired":
        line = f"**{state}** {when(sub.decided_at)} without a decision"
    elif sub.decided_by is not None:
        line = f"**{state}** by {who(sub.decided_by)} · {when(sub.decided_at)}"
    else:
        line = f"**{state}** · {when(sub.decided_at)}"
    items = [text_block(line)]
    if sub.decision_note:
        items.append(plain_text(clip(sub.decision_note, MAX_NOTE), italic=True))
    return container(items, separator=True, style="emphasis")


def author_card(sub: Submission) -> Card:
    """Tell the author what happened to their draft (and what to do next)."""
    state = texts.STATE_TITLES.get(sub.state, sub.state)
    body: list[Element] = [text_block(f"**{state}**", size="Medium"), text_block(author_line(sub))]
    if sub.decision_note:
        body.append(text_block("**Note**"))
        body.append(plain_text(clip(sub.decision_note, MAX_NOTE)))
    if sub.text is not None:
        body.extend(draft_elements(sub.text, DRAFT_ON_VERDICT))
    if sub.state == "changes_requested":
        body.append(
            text_block("Edit the draft and send it to me again to check it.", isSubtle=True)
        )
    return adaptive_card(body)


def author_line(sub: Submission) -> str:
    """One sentence on the outcome, also the notification text."""
    return texts.author_news(sub, who)


# ---------------------------------------------------------------------- answers and help


def answer_card(answer: Mapping[str, Any], *, question: str | None = None) -> Card:
    """A policy answer with its citations (``bot.ask.Answer.to_dict()``)."""
    text = str(answer.get("answer") or "I couldn't find that in the policy.")
    body: list[Element] = []
    if question:
        body.append(plain_text(clip(question, 300), italic=True, isSubtle=True))
    body.append(plain_text(clip(text, 2900)))
    for c in list(answer.get("citations") or [])[:8]:
        title = str(c.get("section") or c.get("anchor") or "")
        items = [text_block(f"📖 **{md_escape(clip(title, 150))}**")]
        if c.get("quote"):
            items.append(plain_text(clip(" ".join(str(c["quote"]).split()), 400), isSubtle=True))
        body.append(container(items, separator=True))
    if answer.get("llm") == "failed":
        body.append(
            text_block(
                "The AI answer wasn't available; this is from the policy text.", isSubtle=True
            )
        )
    body.append(
        text_block(
            "To check a draft instead, send `review:` and the draft.", isSubtle=True, size="Small"
        )
    )
    return adaptive_card(body)


def reports_card(reports: Sequence[Any], *, notice: str | None = None) -> Card:
    """Approvers: "Was this right?" reports waiting to be confirmed or dismissed, oldest first."""
    body: list[Element] = [
        text_block(f"**Reports to review ({len(reports)})**", size="Medium"),
    ]
    if notice:
        body.append(plain_text(notice, isSubtle=True))
    if not reports:
        body.append(text_block("No reports are waiting."))
    for item in list(reports)[:8]:
        kind = item.kind.replace("_", " ")
        cats = f" · {', '.join(item.categories)}" if item.categories else ""
        line = (
            f"**{texts.DECISION_TITLES.get(item.expected, item.expected)}** ({kind}{cats}) "
            f"from {md_escape(item.by)} · rules said {item.rules_decision.replace('_', ' ')}"
        )
        items: list[Element] = [text_block(line), plain_text(clip(item.text, 1200))]
        if item.note:
            items.append(plain_text(clip(item.note, 500), italic=True, isSubtle=True))
        data = {"fid": item.id}
        buttons = [
            execute("Confirm", VERB_FEEDBACK_CONFIRM, data, style="positive"),
            execute("Dismiss", VERB_FEEDBACK_DISMISS, data),
        ]
        items.append({"type": "ActionSet", "actions": buttons})
        body.append(container(items, separator=True))
    return adaptive_card(body)


def watch_card(entries: Sequence[Any], *, notice: str | None = None) -> Card:
    """Approvers (in their personal chat): the watch list, Remove per entry, and an Add form."""
    from bot.watch.kinds import KINDS

    body: list[Element] = [text_block(f"**Watch list ({len(entries)})**", size="Medium")]
    if notice:
        body.append(plain_text(notice, isSubtle=True))
    body.append(
        text_block(
            "Terms every check flags: live cases, injunctions, embargoes, codenames. "
            "Staff never see the list.",
            isSubtle=True,
        )
    )
    for entry in list(entries)[:15]:
        until = f" · until {entry.until:%Y-%m-%d}" if entry.until else ""
        items: list[Element] = [
            text_block(f"{entry.id} · **{md_escape(entry.term)}** · {entry.kind}{until}")
        ]
        if entry.note:
            items.append(plain_text(clip(entry.note, 300), italic=True, isSubtle=True))
        remove = execute("Remove", VERB_WATCH_REMOVE, {"eid": entry.id})
        items.append({"type": "ActionSet", "actions": [remove]})
        body.append(container(items, separator=True))
    body += [
        text_block("**Add a term**", separator=True),
        {
            "type": "Input.ChoiceSet",
            "id": INPUT_WATCH_KIND,
            "label": "Kind",
            "choices": [{"title": k.capitalize(), "value": k} for k in KINDS],
            "style": "compact",
            "isRequired": True,
            "errorMessage": "Choose a kind.",
        },
        {
            "type": "Input.Text",
            "id": INPUT_WATCH_TERM,
            "label": "Term (a name, codename or phrase)",
            "maxLength": 200,
            "isRequired": True,
            "errorMessage": "Type the term to watch for.",
        },
        {
            "type": "Input.Text",
            "id": INPUT_WATCH_UNTIL,
            "label": "Stop flagging it from (YYYY-MM-DD, optional)",
            "maxLength": 40,
        },
        note_input(INPUT_WATCH_NOTE, "Note for approvers (staff never see it)"),
    ]
    return adaptive_card(body, [execute("Add", VERB_WATCH_ADD, {})])


#: The settings card's inputs, in order: (setting, label, hint).
SETTINGS_INPUTS: tuple[tuple[str, str, str], ...] = (
    ("approvers_channel", "Approvers' channel", "the channel id, e.g. 19:…@thread.tacv2"),
    ("approvers", "Approvers", "Entra object ids, comma-separated (up to 60)"),
    ("organisation_name", "Organisation name", ""),
    ("domains", "Own domains", "comma-separated, e.g. council.example"),
    ("phones", "Public phone numbers", "comma-separated"),
    ("emails", "Public mailboxes", "comma-separated"),
)
#: The profile choice meaning "as in the config file" (not a profile name).
PROFILE_DEFAULT = "default"


def settings_card(
    values: Mapping[str, str],
    *,
    rows: Sequence[tuple[str, str]],
    profiles: Sequence[str],
    file_profile: str,
    notice: str | None = None,
    error: str | None = None,
) -> Card:
    """Admins and approvers (personal chat): what is in force, and a form to change it.

    ``values`` are this tenant's own settings (empty: as in the config file), so an
    empty field saves as "use the file's", never as a copy of it.
    """
    body: list[Element] = [text_block("**canipost settings**", size="Medium")]
    if error:
        body.append(plain_text(error, color="Attention", weight="Bolder"))
    if notice:
        body.append(plain_text(notice, isSubtle=True))
    body += [
        text_block("**In force now**", separator=True),
        fact_set([(label, clip(value, 300)) for label, value in rows]),
        text_block("**Change**", separator=True),
        text_block("Leave a field empty to use the config file's value.", isSubtle=True),
    ]
    for key, label, hint in SETTINGS_INPUTS:
        el: Element = {"type": "Input.Text", "id": key, "label": label, "maxLength": 2000}
        if hint:
            el["placeholder"] = hint
        if values.get(key):
            el["value"] = values[key]
        body.append(el)
    choices = [{"title": f"As in the config file ({file_profile})", "value": PROFILE_DEFAULT}]
    choices += [{"title": p.capitalize(), "value": p} for p in profiles]
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "profile",
            "label": "Rule profile",
            "choices": choices,
            "style": "compact",
            "value": values.get("profile") or PROFILE_DEFAULT,
        }
    )
    return adaptive_card(body, [execute("Save", VERB_SETTINGS_SAVE, {})])


def help_text(*, approver: bool = False, admin: bool = False) -> str:
    """What the help card says: every command this person can use in Teams
    (:data:`bot.conversation.texts.HELP_LINES`, filtered for them)."""
    lines = texts.help_lines("teams", approver=approver, admin=admin)
    return "\n\n".join(
        [texts.HELP_INTRO, "\n".join(f"- {line}" for line in lines), texts.HELP_OUTRO]
    )


def help_card(*, approver: bool = False, admin: bool = False) -> Card:
    """The help card; approvers also see ``reports`` and ``watch``, admins ``settings``."""
    return adaptive_card([text_block(help_text(approver=approver, admin=admin))])


def error_text(reference: str) -> str:
    """What a person sees when something failed on our side: never the details."""
    return texts.error_report(reference)


def card_summary(card: Card) -> str:
    """A one-line notification text for a card (activity ``summary``)."""
    for el in card.get("body", []):
        if el.get("type") == "TextBlock":
            return str(el["text"])[:200]
        if el.get("type") == "Container":
            for item in el.get("items", []):
                if item.get("type") == "TextBlock":
                    return str(item["text"])[:200]
    return "canipost"
