"""The closed set of rule kinds. A new kind is one module plus one line here."""

from __future__ import annotations

from bot.policy.kinds.classifier import ClassifierRule
from bot.policy.kinds.context import ContextRule
from bot.policy.kinds.detector import DetectorRule
from bot.policy.kinds.lexicon import LexiconRule
from bot.policy.kinds.metric import MetricRule
from bot.policy.kinds.pattern import PatternRule
from bot.policy.model import Rule

KINDS: dict[str, type[Rule]] = {
    cls.KIND: cls
    for cls in (LexiconRule, PatternRule, ContextRule, MetricRule, DetectorRule, ClassifierRule)
}
