"""What a verdict screen shows, in order, for every surface: parts, not markup.

Slack (Block Kit), Teams (Adaptive Cards), the dashboard (HTML) and the
terminal each turn these parts into their own markup; what is shown, in which
order and in which words is decided here once.

    for part in verdict_parts(verdict, ref, submitted=sub):
        render(part)        # match part.kind: "title", "draft", "findings", ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict, Unpack

from bot.conversation.refs import DraftRef
from bot.conversation.texts import DECISION_TITLES, FEEDBACK_ASK, network_name
from bot.verdict import Finding, Severity, Verdict
from bot.workflow.types import Submission

PartKind = Literal[
    "title",
    "draft",
    "findings",
    "aside",
    "critique",
    "notice",
    "status",
    "route",
    "feedback",
    "footer",
]

ALL_CLEAR = "No policy concerns found. Use your judgement: it's still on you."
AI_PENDING = "⏳ The AI review is on its way…"
AI_FAILED = "The AI review wasn't available; the rules verdict above stands."
SENDING = "📤 Sending to comms for approval…"
TOO_LONG_TO_SEND = (
    "This draft is too long to send from here. Shorten it, or send it to comms "
    "with `canipost queue submit`."
)
SEND = "Send to comms for approval"
SEND_WITH_REASONS = "Send to comms with a justification…"
WITHDRAW = "Withdraw"


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a screen; which fields matter depends on ``kind``.

    ``title``: ``text`` (the decision's title), ``detail`` (network, for whom), ``label``.
    ``draft``: ``text``. ``findings``: ``findings``. ``aside``/``notice``: ``text``.
    ``critique``: ``text`` (the AI's critique, may be empty), ``detail`` (a rewrite).
    ``status``: ``submission`` (and ``withdrawable``). ``route``: ``label`` is
    ``needs_approval`` or ``do_not_post`` (``text`` says why it cannot be sent, if so).
    ``footer``: ``text`` (the policy version).
    """

    kind: PartKind
    text: str = ""
    detail: str = ""
    label: str = ""
    findings: tuple[Finding, ...] = field(default=())
    submission: Submission | None = None
    withdrawable: bool = False


class ScreenOptions(TypedDict, total=False):
    """How a verdict screen stands: the AI review still coming, its submission, a notice."""

    llm_pending: bool
    submitted: Submission | None
    sending: bool
    notice: str | None


def where(ref: DraftRef) -> str:
    """``X (Twitter) · for the organisation``: the network, and for whom when known."""
    out = network_name(ref.channel)
    if ref.on_behalf is not None:
        out += " · for the organisation" if ref.on_behalf else " · personal account"
    return out


def verdict_parts(
    verdict: Verdict,
    ref: DraftRef,
    *,
    can_carry: bool = True,
    **options: Unpack[ScreenOptions],
) -> list[Part]:
    """The answer to "can I post this?" for the author, with what they can do next.

    ``needs_approval`` offers "Send to comms for approval"; ``do_not_post``
    offers it only with a justification. Once ``submitted``, the way to comms
    gives way to the submission's state (and Withdraw while it is open).
    ``can_carry`` is False when the surface cannot carry this draft on a button.
    """
    submitted, notice = options.get("submitted"), options.get("notice")
    label = verdict.decision.label
    parts = [
        Part("title", DECISION_TITLES[label], where(ref), label=label),
        Part("draft", ref.text),
    ]
    if verdict.findings:
        parts.append(Part("findings", findings=tuple(verdict.findings)))
    elif label == "ok":
        parts.append(Part("aside", ALL_CLEAR))
    if verdict.critique or verdict.rewrite:
        parts.append(Part("critique", verdict.critique or "", verdict.rewrite or ""))
    if options.get("llm_pending"):
        parts.append(Part("aside", AI_PENDING))
    elif verdict.llm == "failed":
        parts.append(Part("aside", AI_FAILED))
    if notice:
        parts.append(Part("notice", notice))
    if submitted is not None:
        parts.append(Part("status", submission=submitted, withdrawable=submitted.is_open))
    elif options.get("sending"):
        parts.append(Part("aside", SENDING))
    elif verdict.decision >= Severity.NEEDS_APPROVAL:
        parts.append(Part("route", "" if can_carry else TOO_LONG_TO_SEND, label=label))
    if can_carry:  # "Was this right?" on every verdict the surface can carry back
        parts.append(Part("feedback", FEEDBACK_ASK, label=label))
    parts.append(Part("footer", verdict.policy_version or "unknown"))
    return parts
