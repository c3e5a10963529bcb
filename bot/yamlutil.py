"""YAML loading that remembers line numbers, so errors can say file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: id(mapping) -> {key: 1-based line of that key}
KeyLines = dict[int, dict[Any, int]]


# libyaml's parser when available (10x faster: policy load is on the start-up path),
# with our own Python constructor on top to record where each key stands.
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):
    key_lines: KeyLines


def _construct_mapping(
    loader: _LineLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    loader.key_lines[id(mapping)] = lines
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def load_yaml_with_lines(path: Path) -> tuple[Any, KeyLines]:
    """Parse ``path``; return the data and the line of every mapping key."""
    text = path.read_text(encoding="utf-8")
    loader = _LineLoader(text)
    loader.key_lines = {}
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return data, loader.key_lines


def line_of(lines: KeyLines, mapping: Any, key: Any) -> int | None:
    """The line where ``key`` stands in ``mapping``, if known."""
    return lines.get(id(mapping), {}).get(key)
