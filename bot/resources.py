"""Where the project's data folders (``policy/``, ``prompts/``, ``teams/``) live.

They sit at the top of the repository, where comms officers edit them. A
source checkout or editable install reads them there; a built wheel carries a
copy in ``bot/_shipped/`` (see ``setup.py``), so ``pip install canipost``
works from any directory.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def data_dir(name: str, env: str | None = None) -> Path:
    """The folder ``name``: ``$env`` if set, else the checkout's, the wheel's, or ./name."""
    if env:
        value = os.environ.get(env)
        if value:
            return Path(value)
    for candidate in (_CHECKOUT / name, _PACKAGE / "_shipped" / name):
        if candidate.is_dir():
            return candidate
    return Path.cwd() / name
