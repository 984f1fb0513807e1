"""Load YAML while remembering the line of every key, so validation errors can name it.

``load_yaml_file`` returns the plain data plus a :class:`LineMap` from key paths (tuples of
keys and list indexes, as pydantic reports them in ``loc``) to 1-based line numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.errors import ConfigError, ConfigProblem

PathKey = tuple[str | int, ...]


@dataclass
class LineMap:
    file: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        key = tuple(path)
        while True:
            if key in self.lines:
                return self.lines[key]
            if not key:
                return None
            key = key[:-1]

    def problem(self, path: Iterable[str | int], message: str) -> ConfigProblem:
        path = tuple(path)
        return ConfigProblem(self.file, self.line_of(path), dotted(path), message)


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Loader(yaml.SafeLoader):
    pass


def _build(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], loader: _Loader) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (dict, list)):
                raise ConfigError([ConfigProblem(lines_file(loader), key_node.start_mark.line + 1,
                                                 dotted(path), "a mapping key must be a scalar")])
            child = (*path, str(key) if not isinstance(key, (str, int)) else key)
            lines[child] = key_node.start_mark.line + 1
            if key in out:
                raise ConfigError([ConfigProblem(lines_file(loader), key_node.start_mark.line + 1,
                                                 dotted(child), "duplicate key")])
            out[key] = _build(value_node, child, lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def lines_file(loader: _Loader) -> str:
    return str(getattr(loader, "name", "<yaml>"))


def load_yaml_text(text: str, file: str) -> tuple[Any, LineMap]:
    linemap = LineMap(file)
    loader = _Loader(text)
    loader.name = file  # type: ignore[attr-defined,unused-ignore]
    try:
        node = loader.get_single_node()
        if node is None:
            return None, linemap
        return _build(node, (), linemap.lines, loader), linemap
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([ConfigProblem(file, line, "", f"invalid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(file, None, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> tuple[Any, LineMap]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(p), None, "", f"cannot read file: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([ConfigProblem(str(p), None, "", "file is not valid UTF-8")]) from None
    return load_yaml_text(text, str(p))


def problems_from_validation(exc: ValidationError, linemap: LineMap,
                             prefix: PathKey = ()) -> list[ConfigProblem]:
    """Turn pydantic's errors into problems naming file, line and key (never the input value)."""
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(part for part in err["loc"] if not _is_union_tag(part))
        path = (*prefix, *loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        problems.append(linemap.problem(path, msg))
    return problems


def _is_union_tag(part: object) -> bool:
    # pydantic inserts the model/tag name of a union member into loc, e.g. "function-after[...]".
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))
