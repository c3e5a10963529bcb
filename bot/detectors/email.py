"""Email addresses that are not the organisation's public mailboxes (``email``).

Labels: ``webmail`` (a personal Gmail/Outlook/... address), ``named`` (someone at another
organisation). Generic role mailboxes (``info@``, ``press@``) and the organisation's own
domains and configured addresses are never reported: posting them is the point.
"""

from __future__ import annotations

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.policy.programs import compile_regex  # kept programs, with start hints

_EMAIL = compile_regex(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")

_EMAIL_HINT = compile_regex(r"\w@[A-Za-z0-9-]+\.[A-Za-z]")

#: Local parts that name a role, not a person: a public mailbox.
GENERIC_MAILBOXES = frozenset(
    [
        "info",
        "enquiries",
        "enquiry",
        "hello",
        "contact",
        "contactus",
        "press",
        "media",
        "news",
        "comms",
        "communications",
        "office",
        "admin",
        "support",
        "help",
        "helpdesk",
        "feedback",
        "complaints",
        "bookings",
        "booking",
        "events",
        "team",
        "customerservices",
        "customer.services",
        "customerservice",
        "service",
        "services",
        "reception",
        "marketing",
        "sales",
        "jobs",
        "careers",
        "recruitment",
        "volunteer",
        "volunteers",
        "volunteering",
        "donations",
        "fundraising",
        "membership",
        "members",
        "webmaster",
        "noreply",
        "no-reply",
        "newsletter",
        "general",
        "mail",
        "accounts",
        "finance",
        "invoices",
        "foi",
        "dpo",
        "privacy",
        "dataprotection",
        "safeguarding",
        "pals",
        "library",
        "libraries",
        "housing",
        "planning",
        "council",
        "licensing",
    ]
)

#: Free webmail providers: an address there is a person's own.
WEBMAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "outlook.co.uk",
        "live.com",
        "live.co.uk",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "ymail.com",
        "aol.com",
        "aol.co.uk",
        "icloud.com",
        "me.com",
        "mac.com",
        "btinternet.com",
        "sky.com",
        "talktalk.net",
        "virginmedia.com",
        "ntlworld.com",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "gmx.co.uk",
        "mail.com",
        "zoho.com",
        "tiscali.co.uk",
        "blueyonder.co.uk",
    ]
)


def _own_domain(domain: str, org: Organisation) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in org.domains)


def find_emails(text: str, org: Organisation) -> list[Detection]:
    """Email addresses that are not the organisation's public mailboxes."""
    at = text.find("@")
    if at < 1:
        at = text.find("@", 1) if at == 0 else -1
        if at < 1:
            return []
    if _EMAIL_HINT.search(text, at - 1) is None:
        return []
    out: list[Detection] = []
    for m in _EMAIL.finditer(text, max(0, at - 64)):
        address = m.group(0).rstrip(".").lower()
        local, _, domain = address.partition("@")
        end = m.start() + len(address)
        if address in org.emails:
            continue
        if domain in WEBMAIL_DOMAINS:
            out.append(Detection(m.start(), end, "webmail"))
        elif _own_domain(domain, org) or local in GENERIC_MAILBOXES:
            continue
        else:
            out.append(Detection(m.start(), end, "named"))
    return out
