"""``kind: classifier`` — a local model's score above a threshold.

The model ships inside the package (``bot.detectors.offensive``); the rule
names the model and a threshold, either a number or one of the model's own
named thresholds (``advise``, ``needs_approval``) chosen on validation data.
The finding quotes the words that pushed the score up most.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.detectors.offensive import load_model
from bot.errors import PolicyError
from bot.policy.model import Context, Hit, Rule

MODELS: tuple[str, ...] = ("offensive",)


def _load(name: str) -> Any:
    return load_model()


@dataclass(slots=True)
class ClassifierRule(Rule):
    KIND = "classifier"
    FIELDS = ("model", "threshold")

    model_name: str = "offensive"
    threshold: float = 0.5
    model: Any = None

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        name = spec.get("model")
        if name not in MODELS:
            raise PolicyError(
                f"{where('model')}: unknown model {name!r}; allowed: {', '.join(MODELS)}"
            )
        self.model_name = name
        model = self.model = _load(name)
        th = spec.get("threshold", "advise")
        if isinstance(th, str):
            if th not in model.thresholds:
                raise PolicyError(
                    f"{where('threshold')}: unknown threshold {th!r}; the model has: {', '.join(model.thresholds)}"
                )
            self.threshold = float(model.thresholds[th])
        elif isinstance(th, int | float) and 0.0 <= th <= 1.0:
            self.threshold = float(th)
        else:
            raise PolicyError(
                f"{where('threshold')}: 'threshold' must be a number in [0, 1] or a name"
            )

    def check(self, ctx: Context) -> list[Hit]:
        score = ctx.scores.get(self.model_name)
        model = self.model
        if score is None:
            score = model.score(ctx.text)
            ctx.scores[self.model_name] = score
        if score < self.threshold:
            return []
        # Several rules may share a model (tiers); explain once per draft.
        key = "explain:" + self.model_name
        hit = ctx.detections.get(key)
        if hit is None:
            spans = model.explain(ctx.text, top=1)
            hit = Hit(spans[0][0], spans[0][1]) if spans else Hit(None, None)
            ctx.detections[key] = hit
        return [hit]
