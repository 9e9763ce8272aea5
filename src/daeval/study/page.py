"""The study file's field-by-field reference (docs/reference/study-file.md), generated from the
schema so the two cannot drift apart.

Run ``python -m daeval.study.page > docs/reference/study-file.md`` (``make docs``); a test keeps
the page current.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from daeval.study.schema import StudyFile

INTRO = """\
# The study file, field by field

Generated from daeval's schema (`daeval.study.schema`); `make docs` regenerates it. The guide to
the study file, its checks, the theory of change and the readiness scorecard is
[docs/study-file.md](../study-file.md). `[]` after a name means a list of entries.
"""


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return " \\| ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        shown = [_type(a) for a in args if a is not type(None)]
        return " \\| ".join(shown)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping (below)"
    if annotation is typing.Any:
        return "section"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default is PydanticUndefined or field.default in (None, [], {}):
        return ""
    value = field.default
    return str(value).lower() if isinstance(value, bool) else str(value)


def _section(path: str, model: type[BaseModel], out: list[str], seen: dict[type, str]) -> None:
    if model in seen:
        return
    seen[model] = path
    out += [f"## `{path}`", ""]
    if model.__doc__ and model is not StudyFile:
        out += [" ".join(model.__doc__.split()), ""]
    out += ["| Field | Type | Default | Meaning |", "| --- | --- | --- | --- |"]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        out.append(f"| `{key}` | {_type(field.annotation)} | {_default(field)} | {meaning} |")
        many = "list" in _type(field.annotation)
        for inner in _models(field.annotation):
            nested.append((f"{path}.{key}{'[]' if many else ''}".lstrip("."), inner))
    out.append("")
    for inner_path, inner in nested:
        if inner in seen:
            out[:] = [
                line.replace("mapping (below)", f"mapping (as `{seen[inner]}`)")
                if line.startswith(f"| `{inner_path.rsplit('.', 1)[-1].rstrip('[]')}` |")
                else line
                for line in out
            ]
        _section(inner_path, inner, out, seen)


def render() -> str:
    out = [INTRO]
    _section("(top level)", StudyFile, out, {})
    text = "\n".join(out).replace("`(top level)`", "Top level").replace("(top level).", "")
    return text.rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
