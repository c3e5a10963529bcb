"""Check a card against the Adaptive Card 1.5 subset we send, before Teams sees it.

The official schema (adaptivecards.io/schemas/adaptive-card.json) is not
shipped in any package we can install offline, so this module carries a
compact JSON Schema for the part of Adaptive Cards 1.5 that canipost uses:
the envelope, ``TextBlock``, ``RichTextBlock``/``TextRun``, ``Container``,
``FactSet``, ``Input.Text``, ``Input.ChoiceSet``, ``Action.Execute``/``Action.Submit``,
``Action.ShowCard`` and ``refresh``. Property names and enum values are those of the official 1.5
schema; unknown properties are refused, so a typo fails here rather than
rendering as nothing in Teams. On top come rules a schema cannot say:

* ``Action.Execute`` verbs are ones the agent routes (:data:`bot.teams.cards.VERBS`);
* input ids are unique and inputs sit in the body;
* Teams' limits: a message carries at most ~28 KB, and at most 6 card actions.

    validate_card(verdict_card(...))   # returns the card, or raises CardError naming where
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from bot.teams.cards import CARD_VERSION, SCHEMA_URL, SUBMIT_KEY, VERBS, Card

#: Teams rejects messages over 28 KB; leave room for the activity around the card.
MAX_CARD_BYTES = 24_000
MAX_ACTIONS = 6
MAX_ACTION_TITLE = 40
MAX_TEXT = 5_000

_SPACING = {"enum": ["None", "Small", "Default", "Medium", "Large", "ExtraLarge", "Padding"]}
_COLOR = {"enum": ["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"]}
_SIZE = {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]}
_WEIGHT = {"enum": ["Default", "Lighter", "Bolder"]}
_STYLE = {"enum": ["default", "emphasis", "good", "attention", "warning", "accent"]}
_COMMON = {
    "id": {"type": "string", "minLength": 1},
    "spacing": _SPACING,
    "separator": {"type": "boolean"},
    "isVisible": {"type": "boolean"},
}
_TEXT = {"type": "string", "maxLength": MAX_TEXT}

_ACTION_COMMON = {
    "title": {"type": "string", "minLength": 1, "maxLength": MAX_ACTION_TITLE},
    "id": {"type": "string"},
    "style": {"enum": ["default", "positive", "destructive"]},
    "tooltip": {"type": "string"},
    "isEnabled": {"type": "boolean"},
}


def _when_type(name: str, ref: str | None = None) -> dict[str, Any]:
    return {
        "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
        "then": {"$ref": f"#/$defs/{ref or name}"},
    }


#: Body elements we send; a card with any other type is refused.
_ELEMENTS = (
    "TextBlock",
    "RichTextBlock",
    "Container",
    "FactSet",
    "Input.Text",
    "Input.ChoiceSet",
    "ActionSet",
)

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "canipost:adaptive-card-1.5-subset",
    "type": "object",
    "required": ["type", "version", "body"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "AdaptiveCard"},
        "$schema": {"const": SCHEMA_URL},
        "version": {"const": CARD_VERSION},
        "body": {"type": "array", "items": {"$ref": "#/$defs/element"}},
        "actions": {"type": "array", "maxItems": MAX_ACTIONS, "items": {"$ref": "#/$defs/action"}},
        "refresh": {
            "type": "object",
            "required": ["action"],
            "additionalProperties": False,
            "properties": {
                "action": {"$ref": "#/$defs/execute"},
                "userIds": {"type": "array", "maxItems": 60, "items": {"type": "string"}},
            },
        },
        "msteams": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"width": {"const": "Full"}},
        },
        "fallbackText": {"type": "string"},
        "speak": {"type": "string"},
    },
    "$defs": {
        "element": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": list(_ELEMENTS)}},
            # Dispatch on "type" (not oneOf), so an error names the property at fault.
            "allOf": [_when_type(name) for name in _ELEMENTS],
        },
        "TextBlock": {
            "type": "object",
            "required": ["type", "text"],
            "additionalProperties": False,
            "properties": {
                **_COMMON,
                "type": {"const": "TextBlock"},
                "text": {**_TEXT, "minLength": 1},
                "wrap": {"type": "boolean"},
                "weight": _WEIGHT,
                "size": _SIZE,
                "color": _COLOR,
                "isSubtle": {"type": "boolean"},
                "maxLines": {"type": "integer", "minimum": 1},
                "horizontalAlignment": {"enum": ["Left", "Center", "Right"]},
                "style": {"enum": ["default", "heading"]},
            },
        },
        "TextRun": {
            "type": "object",
            "required": ["type", "text"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "TextRun"},
                "text": _TEXT,
                "weight": _WEIGHT,
                "size": _SIZE,
                "color": _COLOR,
                "isSubtle": {"type": "boolean"},
                "italic": {"type": "boolean"},
                "strikethrough": {"type": "boolean"},
                "highlight": {"type": "boolean"},
                "underline": {"type": "boolean"},
                "fontType": {"enum": ["Default", "Monospace"]},
            },
        },
        "RichTextBlock": {
            "type": "object",
            "required": ["type", "inlines"],
            "additionalProperties": False,
            "properties": {
                **_COMMON,
                "type": {"const": "RichTextBlock"},
                "inlines": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/TextRun"}},
                "horizontalAlignment": {"enum": ["Left", "Center", "Right"]},
            },
        },
        "Container": {
            "type": "object",
            "required": ["type", "items"],
            "additionalProperties": False,
            "properties": {
                **_COMMON,
                "type": {"const": "Container"},
                "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/element"}},
                "style": _STYLE,
                "bleed": {"type": "boolean"},
                "verticalContentAlignment": {"enum": ["Top", "Center", "Bottom"]},
            },
        },
        "FactSet": {
            "type": "object",
            "required": ["type", "facts"],
            "additionalProperties": False,
            "properties": {
                **_COMMON,
                "type": {"const": "FactSet"},
                "facts": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["title", "value"],
                        "additionalProperties": False,
                        "properties": {"title": _TEXT, "value": _TEXT},
                    },
                },
            },
        },
        "Input.Text": {
            "type": "object",
            "required": ["type", "id"],
            "additionalProperties": False,
            "properties": {
                **_COMMON,
                "type": {"const": "Input.Text"},
                "id": {"type": "string", "minLength": 1},
                "label": {"type": "string"},
                "placeholder": {"type": "string"},
                "value": {"type": "string"},
                "isMultiline": {"type": "boolean"},
                "maxLength": {"type": "integer", "minimum": 1, "maximum": MAX_TEXT},
                "isRequired": {"type": "boolean"},
                "errorMessage": {"type": "string"},
                "style": {"enum": ["text", "tel", "url", "email", "password"]},
                "regex": {"type": "string"},
            },
        },
        "Input.ChoiceSet": {
            "type": "object",
            "required": ["type", "id", "choices"],
            "additionalProperties": False,
            "properties": {
                **_COMMON,
                "type": {"const": "Input.ChoiceSet"},
                "id": {"type": "string", "minLength": 1},
                "label": {"type": "string"},
                "placeholder": {"type": "string"},
                "value": {"type": "string"},
                "choices": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["title", "value"],
                        "additionalProperties": False,
                        "properties": {"title": _TEXT, "value": {"type": "string"}},
                    },
                },
                "isMultiSelect": {"type": "boolean"},
                "style": {"enum": ["compact", "expanded", "filtered"]},
                "isRequired": {"type": "boolean"},
                "errorMessage": {"type": "string"},
            },
        },
        "ActionSet": {
            "type": "object",
            "required": ["type", "actions"],
            "additionalProperties": False,
            "properties": {
                **_COMMON,
                "type": {"const": "ActionSet"},
                "actions": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_ACTIONS,
                    "items": {"$ref": "#/$defs/execute"},
                },
            },
        },
        "showcard": {
            "type": "object",
            "required": ["type", "title", "card"],
            "additionalProperties": False,
            "properties": {
                **_ACTION_COMMON,
                "type": {"const": "Action.ShowCard"},
                "card": {
                    "type": "object",
                    "required": ["type", "body"],
                    "additionalProperties": False,
                    "properties": {
                        "type": {"const": "AdaptiveCard"},
                        "body": {"type": "array", "items": {"$ref": "#/$defs/element"}},
                        "actions": {
                            "type": "array",
                            "maxItems": MAX_ACTIONS,
                            "items": {"$ref": "#/$defs/execute"},
                        },
                    },
                },
            },
        },
        "execute": {
            "type": "object",
            "required": ["type", "title", "verb"],
            "additionalProperties": False,
            "properties": {
                **_ACTION_COMMON,
                "type": {"const": "Action.Execute"},
                "verb": {"enum": sorted(VERBS)},
                "data": {"type": "object"},
                "associatedInputs": {"enum": ["auto", "none"]},
            },
        },
        "submit": {
            "type": "object",
            "required": ["type", "title", "data"],
            "additionalProperties": False,
            "properties": {
                **_ACTION_COMMON,
                "type": {"const": "Action.Submit"},
                "data": {
                    "type": "object",
                    "required": [SUBMIT_KEY],
                    "properties": {SUBMIT_KEY: {"enum": sorted(VERBS)}},
                },
                "associatedInputs": {"enum": ["auto", "none"]},
            },
        },
        "action": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"enum": ["Action.Execute", "Action.Submit", "Action.ShowCard"]}
            },
            "allOf": [
                _when_type("Action.Execute", "execute"),
                _when_type("Action.Submit", "submit"),
                _when_type("Action.ShowCard", "showcard"),
            ],
        },
    },
}

_VALIDATOR = Draft202012Validator(SCHEMA)


class CardError(ValueError):
    """A card Teams would reject or render wrongly; the message names where."""


def _elements(items: list[Any]) -> Iterator[dict[str, Any]]:
    for el in items:
        if isinstance(el, dict):
            yield el
            if el.get("type") == "Container":
                yield from _elements(el.get("items") or [])


#: Run the JSON Schema on every card sent, not only the cheap checks. The schema costs
#: ~15 ms a card (jsonschema), too much for every turn; the builders are pure, so the
#: test suite switches this on and proves every card they make against it.
STRICT = False


def validate_card(card: Card, *, schema: bool = True) -> Card:
    """Return ``card`` if it is within the subset and Teams' limits, else raise :class:`CardError`.

    ``schema=False`` keeps only the cheap checks (unique input ids, size),
    which is what :func:`check_card` runs on every card sent.
    """
    if schema:
        errors = sorted(
            _VALIDATOR.iter_errors(card), key=lambda e: [str(p) for p in e.absolute_path]
        )
        if errors:
            err = errors[0]
            where = "/".join(str(p) for p in err.absolute_path) or "(card)"
            raise CardError(f"adaptive card invalid at {where}: {err.message}")
    elif card.get("version") != CARD_VERSION or len(card.get("actions") or []) > MAX_ACTIONS:
        raise CardError(
            f"adaptive card must be version {CARD_VERSION} with ≤ {MAX_ACTIONS} actions"
        )
    ids: set[str] = set()
    shown = [a["card"] for a in card.get("actions") or [] if a.get("type") == "Action.ShowCard"]
    for el in _elements([*(card.get("body") or []), *(e for c in shown for e in c["body"])]):
        if str(el.get("type")).startswith("Input."):
            if el["id"] in ids:
                raise CardError(f"adaptive card has two inputs with id {el['id']!r}")
            ids.add(el["id"])
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    if size > MAX_CARD_BYTES:
        raise CardError(f"adaptive card is {size:,} bytes; Teams' limit leaves {MAX_CARD_BYTES:,}")
    return card


def check_card(card: Card) -> Card:
    """The check every outgoing card gets: limits always, the schema when :data:`STRICT`."""
    return validate_card(card, schema=STRICT)
