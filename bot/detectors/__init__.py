"""Detectors: validated personal-data finders and local models, used by rules.

``DETECTORS`` is the closed set of names a ``kind: detector`` rule may use.
"""

from bot.detectors.pii import DETECTORS, PRECONDITIONS, Detection

__all__ = ["DETECTORS", "PRECONDITIONS", "Detection"]
