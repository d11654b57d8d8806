"""YAML read with the line of every key, so that configuration errors can name file, line and key
(sharing rules, screening settings)."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["load_yaml_with_lines", "line_of"]


def _lines_of(node: yaml.Node, path: tuple, out: dict) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[path + (key, "<key>")] = key_node.start_mark.line + 1
            _lines_of(value_node, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines_of(item, path + (index,), out)


def load_yaml_with_lines(text: str) -> tuple[Any, dict[tuple, int]]:
    """The document and a map from key path (tuple of keys/indices) to its 1-based line."""
    lines: dict[tuple, int] = {}
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None:
        _lines_of(node, (), lines)
    return yaml.safe_load(text), lines


def line_of(lines: dict[tuple, int], path: tuple) -> int:
    """The line of ``path``, else of its nearest parent that has one (1 at worst)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)
