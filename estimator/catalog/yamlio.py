"""Read YAML keeping the line of every mapping and value, so errors can say file:line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from estimator.errors import CatalogError

Path_ = tuple[Any, ...]


_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where PyYAML was built with it (fast)


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader: plain data only, never arbitrary Python objects."""


# YAML 1.1 (PyYAML) reads 6.7e9 as a string (it wants a '.' and a signed exponent);
# resolve every plain scalar that is a decimal number as a float, as YAML 1.2 does.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _build(node: yaml.Node, loader: _Loader, path: Path_, lines: dict[Path_, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise CatalogError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar")
            if key in out:
                raise CatalogError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}'")
            out[key] = _build(value_node, loader, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, loader, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_yaml(path: str | Path, text: str | None = None) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML file; return (data, {path-tuple: line}). Errors name file:line."""
    path = Path(path)
    try:
        if text is None:
            raw = path.read_bytes()
            if b"\x00" in raw[:8192]:
                raise CatalogError(f"{path}: not a YAML file (binary content)")
            text = raw.decode("utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a directory, expected a YAML file") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    loader = _Loader(text)
    lines: dict[Path_, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            return None, lines
        return _build(node, loader, (), lines), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise CatalogError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: invalid YAML: {exc}") from None
    except CatalogError as exc:
        raise CatalogError(f"{path}:{str(exc).removeprefix('line ')}") from None
    finally:
        loader.dispose()


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of the deepest known prefix of `path`."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None
