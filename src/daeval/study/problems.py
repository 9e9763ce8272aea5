"""What is wrong with a study file, where (line and path) and how to fix it, in plain words."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

Severity = Literal["error", "warning"]
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    severity: Severity
    line: int | None
    where: str
    message: str
    fix: str

    def render(self, file_name: str = "study.yaml") -> str:
        at = f"{file_name}:{self.line}" if self.line else file_name
        return f"{at}: {self.severity}: {self.where}: {self.message}. Fix: {self.fix}"


class Locator:
    """Line numbers of the values of a YAML document, looked up by path (keys and list indexes)."""

    def __init__(self, text: str):
        try:
            self.root: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            self.root = None
        self.document: Any = None

    def line(self, path: Path_) -> int | None:
        """The line of the deepest node along ``path`` that exists (1-based)."""
        node = self.root
        if node is None:
            return None
        found = node.start_mark.line + 1
        for step in path:
            nxt = None
            if isinstance(node, yaml.MappingNode):
                nxt = next((v for k, v in node.value if k.value == str(step)), None)
                key = next((k for k, _ in node.value if k.value == str(step)), None)
                if key is not None:
                    found = key.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if 0 <= step < len(node.value):
                    nxt = node.value[step]
                    found = nxt.start_mark.line + 1
            if nxt is None:
                break
            node = nxt
        return found


def readable(path: Path_, document: Any) -> str:
    """``interventions[2] (fbs).theory_of_change.links[3].to``: 1-based, with the item's id."""
    parts: list[str] = []
    value = document
    for step in path:
        if isinstance(step, int):
            label = f"[{step + 1}]"
            item = value[step] if isinstance(value, list) and step < len(value) else None
            if isinstance(item, dict) and item.get("id") is not None:
                label += f" ({item['id']})"
            parts.append(label)
            value = item
        else:
            parts.append(("." if parts else "") + str(step))
            value = value.get(step) if isinstance(value, dict) else None
    return "".join(parts) or "(top level)"


def _field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Every field name (and alias) of ``model`` and the models inside it."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        for inner in _models_in(field.annotation):
            names |= _field_names(inner, seen)
    return names


def _models_in(annotation: Any) -> Iterable[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(arg)


def _fix(error: dict[str, Any], vocabulary: Sequence[str]) -> str:
    kind = error["type"]
    name = str(error["loc"][-1]) if error["loc"] else ""
    if kind == "missing":
        return f"add {name}: (it is required here)"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(name, vocabulary, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        return f"remove {name} or correct its spelling{hint}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "write the date as YYYY-MM-DD"
    if kind == "literal_error":
        return f"use one of {error.get('ctx', {}).get('expected', 'the values listed')}"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        return "check the indentation and the form this section takes (see docs/study-file.md)"
    if kind.startswith("string") or kind.startswith("too_short"):
        return "give a value; it cannot be empty"
    return "correct the value (see docs/study-file.md)"


def schema_problems(
    exc: ValidationError, model: type[BaseModel], locator: Locator, document: Any
) -> list[Problem]:
    """One problem per validation error, at its line, with a fix."""
    vocabulary = sorted(_field_names(model))
    out = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = str(error["msg"])
        if error["type"] == "extra_forbidden":
            message = f"{loc[-1]} is not a field here"
        elif error["type"] == "missing":
            message = f"{loc[-1]} is missing"
        out.append(
            Problem(
                "error",
                locator.line(loc),
                readable(loc, document),
                message,
                _fix(dict(error), vocabulary),
            )
        )
    return out
