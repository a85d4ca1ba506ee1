"""The scenario format as JSON Schema (for editors) and as a Markdown field reference.

``scenarios/README.md`` embeds :func:`markdown_reference` between marker lines; a test checks it
is current, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .scenario import Scenario, _unwrap

SCHEMA_ID = "https://diplomesa.invalid/scenario.schema.json"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "diplomesa scenario"
    return schema


def _type_name(annotation: Any) -> str:
    """Readable type: ``list[StateSpec]``, ``float or null``, ``one of: a, b``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is typing.Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of: " + ", ".join(str(m.value) for m in annotation)
    return getattr(annotation, "__name__", str(annotation))


def _range(info: FieldInfo) -> str:
    lo = hi = None
    for m in info.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            v = getattr(m, attr, None)
            if v is not None:
                shown = f"{v:g}" if abs(v) < 1e9 else str(v)
                if sign.startswith(">"):
                    lo = f"{sign} {shown}"
                else:
                    hi = f"{sign} {shown}"
        if getattr(m, "pattern", None):
            return f"pattern `{m.pattern}`"
        if getattr(m, "min_length", None) is not None:
            lo = f"at least {m.min_length} items"
        if getattr(m, "max_length", None) is not None:
            hi = f"at most {m.max_length}"
    return ", ".join(x for x in (lo, hi) if x)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()
        if isinstance(value, BaseModel):
            return "see below"
        return f"`{value!r}`" if value not in ([], {}) else "empty"
    if info.default is PydanticUndefined:
        return "required"
    return f"`{info.default!r}`" if info.default is not None else "none"


def field_rows(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, ...]]:
    """(path, type, range, default, description) for every field, depth first."""
    rows = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner = _unwrap(info.annotation)
        is_list = "list[" in str(info.annotation)
        is_dict = "dict[" in str(info.annotation)
        rows.append(
            (
                path,
                _type_name(info.annotation),
                _range(info),
                _default(info),
                info.description or "",
            )
        )
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            sub = f"{path}[]." if is_list else f"{path}.NAME." if is_dict else f"{path}."
            rows.extend(field_rows(inner, sub))
    return rows


def markdown_reference() -> str:
    """The field reference table (generated; do not edit by hand)."""
    lines = [
        "| field | type | allowed | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for path, typ, rng, default, text in field_rows():
        typ = typ.replace("|", "or")
        lines.append(f"| `{path}` | {typ} | {rng} | {default} | {text} |")
    return "\n".join(lines)
