"""Submission ids people can read aloud: ``S-`` and ten Crockford base32 characters.

Fifty random bits: unguessable enough that ids in a public channel reveal
nothing about volume, short enough to type into ``canipost queue decide``.
Typing is forgiving: case is ignored and the look-alikes I, L and O are read
as 1, 1 and 0, as Crockford's alphabet intends.
"""

from __future__ import annotations

import secrets

PREFIX = "S-"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_LENGTH = 10
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_id() -> str:
    """A fresh random id such as ``S-7K2M9QXD4B``."""
    return PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def normalise_id(value: str) -> str:
    """Canonical spelling of a typed id: ``s-7k2m9qxd4b`` → ``S-7K2M9QXD4B``.

    Input that is not shaped like an id is returned stripped, so the lookup
    fails with "unknown submission" naming what the user typed.
    """
    raw = value.strip()
    body = raw[2:] if raw[:2].upper() == PREFIX else raw
    body = body.upper().replace("-", "").translate(_LOOKALIKES)
    if len(body) == _LENGTH and all(c in _ALPHABET for c in body):
        return PREFIX + body
    return raw
