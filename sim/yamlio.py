"""Reading YAML and text files safely, with a line and column for every value.

Only YAML's safe types are ever built (the semantics of ``yaml.safe_load``): tags such as
``!!python/object`` are refused, never executed. On top of ``safe_load`` this loader refuses
duplicate keys, documents that are too large, too deep or that expand too much through aliases
(the "billion laughs" alias bomb), and remembers where each value stood so that validation errors
can name ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ScenarioError

#: Largest input file accepted, in bytes. Bundled scenarios are well under 200 KiB.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 40
#: Most values a document may expand to (aliases counted each time they are used).
MAX_NODES = 500_000

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """A parsed document and where each value (and each mapping key) stood in the file."""

    data: Any
    file: str
    where: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_where: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    #: Problems found while reading (duplicate keys, refused tags); validation adds its own.
    problems: list[Problem] = field(default_factory=list)

    def locate(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or of its key), else of its nearest parent."""
        path = tuple(path)
        if key and path in self.key_where:
            return self.key_where[path]
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return self.where.get((), (1, 1))

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        line, col = self.locate(path, key=key)
        return Problem(self.file, line, col, dotted(path), message)


def dotted(path: Path_) -> str:
    """``('states', 2, 'salience', 'climate')`` -> ``states[2].salience.climate``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_text(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a user's text file: size limit, no binary, UTF-8 only; errors are ScenarioErrors."""
    name = str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ScenarioError.single(
            name, "file not found (check the path and the spelling)"
        ) from None
    except OSError as exc:
        raise ScenarioError.single(name, f"cannot read the file ({exc.strerror})") from None
    if p.is_dir():
        raise ScenarioError.single(name, "is a folder, not a file (give a .yaml or .csv file)")
    if size > max_bytes:
        raise ScenarioError.single(
            name,
            f"file is {size:,} bytes; the limit is {max_bytes:,} bytes "
            "(split the scenario or remove unused parts)",
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError.single(name, f"cannot read the file ({exc.strerror})") from None
    return decode_text(raw, name, max_bytes=max_bytes)


def decode_text(raw: bytes, name: str, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Decode uploaded or read bytes as UTF-8 text with the same limits as files."""
    if len(raw) > max_bytes:
        raise ScenarioError.single(
            name, f"file is {len(raw):,} bytes; the limit is {max_bytes:,} bytes"
        )
    if b"\x00" in raw[:8192]:
        raise ScenarioError.single(
            name, "looks like a binary file, not text (save it as plain text: YAML or CSV)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError.single(
            name,
            f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
            "(save the file as UTF-8)",
            line=line,
            col=1,
        ) from None
    return text


class _Builder:
    """Turns a composed YAML node tree into plain Python values, recording positions."""

    def __init__(self, loader: yaml.SafeLoader, located: Located):
        self.loader = loader
        self.located = located
        self.count = 0
        self.problems: list[Problem] = []

    def _pos(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(f"the document expands to more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise _TooBig(f"the document is nested more than {MAX_DEPTH} levels deep", node)
        self.located.where[path] = self._pos(node)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            return self._refuse_tag(node, path)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            return self._refuse_tag(node, path)

    def _refuse_tag(self, node: yaml.Node, path: Path_) -> None:
        """Record a tag that is not a plain YAML type (never construct it) and yield None."""
        line, col = self._pos(node)
        self.problems.append(
            Problem(
                self.located.file,
                line,
                col,
                dotted(path),
                f"the YAML tag {node.tag!r} is not allowed (only plain values: numbers, "
                "text, true/false, lists and mappings)",
            )
        )

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict:
        try:
            self.loader.flatten_mapping(node)
        except yaml.constructor.ConstructorError as exc:
            line, col = self._pos(node)
            self.problems.append(
                Problem(self.located.file, line, col, dotted(path), f"bad merge key: {exc.problem}")
            )
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = self._pos(key_node)
                self.problems.append(
                    Problem(self.located.file, line, col, dotted(path), "keys must be plain text")
                )
                continue
            key = self.build(key_node, (*path, "<key>"), depth + 1)
            if not isinstance(key, str | int | float | bool) or key is None:
                key = str(key)
            if not isinstance(key, str):
                key = str(key).lower() if isinstance(key, bool) else str(key)
            kpath = (*path, key)
            if key in out:
                line, col = self._pos(key_node)
                first = self.located.key_where.get(kpath, (0, 0))[0]
                self.problems.append(
                    Problem(
                        self.located.file,
                        line,
                        col,
                        dotted(kpath),
                        f"duplicate key (first given on line {first}; give each key once)",
                    )
                )
                continue
            self.located.key_where[kpath] = self._pos(key_node)
            out[key] = self.build(value_node, kpath, depth + 1)
        self.located.where.pop((*path, "<key>"), None)
        return out


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _TooBig(Exception):
    def __init__(self, message: str, node: yaml.Node | None = None):
        super().__init__(message)
        self.node = node


def parse_yaml(text: str, file: str) -> Located:
    """Parse one YAML document with safe semantics.

    Fatal problems (not YAML at all, too big) raise ScenarioError; problems that still leave a
    document (duplicate keys, refused tags) are kept in ``located.problems`` so validation can
    report them together with its own.
    """
    located = Located(data=None, file=file)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise ScenarioError.single(
            file,
            f"contains a character YAML does not allow ({exc.character!r}); "
            "remove it or save the file as plain text",
            "",
            line,
            col,
        ) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or str(exc)
        raise ScenarioError.single(
            file, f"not valid YAML: {what} (check indentation, colons and quotes)", "", line, col
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError.single(file, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise ScenarioError.single(
            file, f"the document is nested too deeply (at most {MAX_DEPTH} levels)"
        ) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError.single(file, "the file is empty (see scenarios/README.md)")
    builder = _Builder(loader, located)
    try:
        located.data = builder.build(node, (), 0)
    except _TooBig as exc:
        line, col = builder._pos(exc.node) if exc.node is not None else (0, 0)
        raise ScenarioError.single(
            file, f"{exc} (aliases or nesting this large are refused)", "", line, col
        ) from None
    except RecursionError:
        raise ScenarioError.single(file, "the document is nested too deeply") from None
    located.problems.extend(builder.problems)
    return located
