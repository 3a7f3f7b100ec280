"""The codebook format: typed records, YAML load/dump and validation.

A codebook file is YAML (described in docs/codebook-format.md): top-level ``name``,
``version``, ``description`` and ``codes``, where every code may nest ``children``.
Loading flattens the tree into ``Codebook.codes`` in tree order (each code is directly
followed by its descendants, siblings keep their order) and sets ``parent_uid``.
"""
from __future__ import annotations

import difflib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

GUID_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
COLOR_RE = re.compile(r"#[0-9A-Fa-f]{6}")
TOP_LEVEL_KEYS = ("name", "version", "description", "origin", "codes")
CODE_KEYS = (
    "id", "name", "codable", "color", "definition", "use_when", "dont_use_when",
    "examples", "keywords", "children",
)
TEXT_FIELDS = ("definition", "use_when", "dont_use_when")
LIST_FIELDS = ("examples", "keywords")
SHIPPED_DIR = Path(__file__).resolve().parent / "codebooks"  # package data (the checkout links codebooks/ here)
# Text may hold line breaks and tabs; every other control character is refused, so that
# any valid codebook can be written to XML (REFI-QDA) and read back unchanged.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


@dataclass
class CodeDef:
    """One code of a codebook as a researcher writes it (not yet in a project)."""

    uid: str  # stable GUID (uppercase 8-4-4-4-12 hex, as REFI-QDA writes them)
    name: str
    parent_uid: str | None = None
    definition: str = ""
    use_when: str = ""
    dont_use_when: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    color: str | None = None  # "#RRGGBB"
    codable: bool = True


@dataclass
class Codebook:
    """A whole codebook: codes in display order, parents before their children."""

    name: str
    codes: list[CodeDef] = field(default_factory=list)
    description: str = ""
    version: str = ""
    origin: str = ""  # where it came from (file name, tool)


class InvalidCodebook(ValueError):
    """A codebook breaks the format; the message names the file, line, code and field at fault."""

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        code: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.code = code
        self.field = field
        self.line = line
        super().__init__(self._message())

    def _message(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.code is not None:
            parts.append(f'code "{self.code}"')
        subject = f'field "{self.field}" ' if self.field else ""
        return ": ".join(parts + [subject + self.problem])


def new_uid() -> str:
    """Return a fresh uppercase GUID for a new code."""
    return str(uuid.uuid4()).upper()


def shipped_codebook_path(name: str = "resilience") -> Path:
    """Return the path of a codebook shipped with the package (e.g. ``"resilience"``)."""
    return SHIPPED_DIR / f"{name}.yaml"


# --- YAML reading -------------------------------------------------------------------------


class _LinedDict(dict):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and records line numbers of mappings."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Build a mapping, refusing a key that appears twice (PyYAML would keep the last)."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f'found the key "{key_node.value}" twice', key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def _construct_lined_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[_LinedDict]:
    data = _LinedDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {
        k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
    }
    yield data
    data.update(loader.construct_mapping(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_lined_map)


def _parse_yaml(text: str, source: str | None) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        column = f" (column {mark.column + 1})" if mark else ""
        raise InvalidCodebook(
            f"is not valid YAML: {err.problem or err.context}{column}", source=source, line=line
        ) from err
    except yaml.YAMLError as err:  # e.g. a ReaderError for a control character
        raise InvalidCodebook(f"is not valid YAML: {err}", source=source) from err


def _line_of(mapping: Any, key: str | None = None) -> int | None:
    if not isinstance(mapping, _LinedDict):
        return None
    return mapping.key_lines.get(key, mapping.line) if key else mapping.line


def _check_keys(mapping: dict, allowed: tuple[str, ...], where: dict[str, Any]) -> None:
    for key in mapping:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else f"; allowed: {', '.join(allowed)}"
        raise InvalidCodebook(
            f"is unknown{hint}", field=str(key), line=_line_of(mapping, key), **where
        )


@dataclass
class _TreeReader:
    """Turns the nested ``codes:`` list of a parsed YAML file into flat CodeDefs."""

    source: str | None
    require_ids: bool
    codes: list[CodeDef] = field(default_factory=list)
    lines: dict[str, dict[str, int]] = field(default_factory=dict)  # uid -> {field or "": line}

    def error(self, problem: str, code: str | None, fld: str | None, line: int | None) -> InvalidCodebook:
        """Build an error located in this file."""
        return InvalidCodebook(problem, source=self.source, code=code, field=fld, line=line)

    def read_list(self, items: Any, parent: CodeDef | None, path: str, line: int | None) -> None:
        """Read a ``codes:`` or ``children:`` list below ``parent``."""
        if items is None:
            return
        if not isinstance(items, list):
            fld = "children" if parent else "codes"
            raise self.error("must be a list of codes", path or None, fld, line)
        for index, item in enumerate(items, start=1):
            self.read_code(item, parent, path, index)

    def read_code(self, item: Any, parent: CodeDef | None, parent_path: str, index: int) -> None:
        """Read one code mapping and, recursively, its children."""
        label = f"{parent_path}/#{index}" if parent_path else f"#{index}"
        if not isinstance(item, dict):
            raise self.error("must be a mapping with at least a name", label, None, None)
        name = item.get("name")
        named = isinstance(name, str) and bool(name.strip())
        path = (f"{parent_path}/{name}" if parent_path else name) if named else label
        _check_keys(item, CODE_KEYS, {"source": self.source, "code": path})
        if not named:
            problem = "is missing" if name is None else "must be a non-empty string (quote it)"
            raise self.error(problem, label, "name", _line_of(item, "name"))
        code = CodeDef(uid=self._uid(item, path), name=name, parent_uid=parent.uid if parent else None)
        code.codable = self._value(item, "codable", bool, True, path)
        code.color = self._value(item, "color", str, None, path)
        for fld in TEXT_FIELDS:
            setattr(code, fld, self._value(item, fld, str, "", path))
        for fld in LIST_FIELDS:
            setattr(code, fld, self._string_list(item, fld, path))
        self.codes.append(code)
        self.lines[code.uid] = {"": _line_of(item) or 0, **getattr(item, "key_lines", {})}
        self.read_list(item.get("children"), code, path, _line_of(item, "children"))

    def _uid(self, item: dict, path: str) -> str:
        raw = item.get("id")
        if raw is None:
            if self.require_ids:
                raise self.error("is missing (every code needs a stable id here)", path, "id", _line_of(item))
            return new_uid()
        if not isinstance(raw, str):
            raise self.error("must be a GUID string", path, "id", _line_of(item, "id"))
        return raw.strip().strip("{}").upper()

    def _value(self, item: dict, fld: str, kind: type, default: Any, path: str) -> Any:
        value = item.get(fld)
        if value is None:
            return default
        if not isinstance(value, kind):
            expected = "true or false" if kind is bool else "a string"
            raise self.error(f"must be {expected}", path, fld, _line_of(item, fld))
        return value

    def _string_list(self, item: dict, fld: str, path: str) -> list[str]:
        value = item.get(fld)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error("must be a list of strings", path, fld, _line_of(item, fld))
        return list(value)


def _top_text(data: dict, key: str, source: str | None) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and key == "version":
        return str(value)
    if not isinstance(value, str):
        line = _line_of(data, key)
        raise InvalidCodebook("must be a string (quote it)", source=source, field=key, line=line)
    return value


def loads_codebook(
    text: str,
    source: str | None = None,
    *,
    require_ids: bool = False,
    require_definitions: bool = True,
) -> Codebook:
    """Parse and validate a codebook from YAML text; ``source`` names it in error messages."""
    data = _parse_yaml(text, source)
    if not isinstance(data, dict):
        hint = ""
        if isinstance(data, str) and "\n" not in data and data.endswith((".yaml", ".yml")):
            hint = "; to load a file, pass a pathlib.Path instead of a string"
        raise InvalidCodebook(f"must be a YAML mapping with name and codes at the top{hint}", source=source)
    _check_keys(data, TOP_LEVEL_KEYS, {"source": source})
    if data.get("codes") is None:
        raise InvalidCodebook("is missing", source=source, field="codes", line=_line_of(data))
    reader = _TreeReader(source, require_ids)
    reader.read_list(data["codes"], None, "", _line_of(data, "codes"))
    book = Codebook(
        name=_top_text(data, "name", source),
        codes=reader.codes,
        description=_top_text(data, "description", source),
        version=_top_text(data, "version", source),
        origin=_top_text(data, "origin", source) or source or "",
    )
    _check_codebook(book, source=source, lines=reader.lines, require_definitions=require_definitions)
    return book


def load_codebook(
    path_or_text: str | os.PathLike[str],
    *,
    source: str | None = None,
    require_ids: bool = False,
    require_definitions: bool = True,
) -> Codebook:
    """Load and validate a codebook from a file (``Path``) or from YAML text (``str``)."""
    if isinstance(path_or_text, str):
        return loads_codebook(
            path_or_text, source, require_ids=require_ids, require_definitions=require_definitions
        )
    path = Path(path_or_text)
    source = source or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InvalidCodebook(f"is not UTF-8 text (byte {err.start})", source=source) from err
    return loads_codebook(text, source, require_ids=require_ids, require_definitions=require_definitions)


# --- validation ---------------------------------------------------------------------------


def _safe_path(codes_by_uid: dict[str, CodeDef], code: CodeDef) -> str:
    """The "A/B/C" path of a code, stopping at unknown parents and cycles (for messages)."""
    names, seen, current = [code.name], {code.uid}, code
    while current.parent_uid in codes_by_uid and current.parent_uid not in seen:
        current = codes_by_uid[current.parent_uid]
        seen.add(current.uid)
        names.append(current.name)
    return "/".join(str(n) for n in reversed(names))


def _field_problem(code: CodeDef, require_definitions: bool) -> tuple[str, str] | None:
    """The first (field, problem) wrong with one code on its own, or None."""
    if not isinstance(code.name, str) or not code.name.strip():
        return "name", "must be a non-empty string"
    if _CONTROL_RE.search(code.name) or "\n" in code.name or "\t" in code.name:
        return "name", "must be a single line without control characters"
    if not isinstance(code.uid, str) or not GUID_RE.fullmatch(code.uid):
        return "id", f"must be a GUID like 3F2504E0-4F89-41D3-9A0C-0305E82C3301, not {code.uid!r}"
    if code.parent_uid is not None and not isinstance(code.parent_uid, str):
        return "parent_uid", "must be a uid string or None"
    if not isinstance(code.codable, bool):
        return "codable", "must be true or false"
    if code.color is not None and (not isinstance(code.color, str) or not COLOR_RE.fullmatch(code.color)):
        return "color", f'must be a colour like "#2E7D32" (#RRGGBB), not {code.color!r}'
    for fld in TEXT_FIELDS:
        value = getattr(code, fld)
        if not isinstance(value, str):
            return fld, "must be a string"
        if _CONTROL_RE.search(value):
            return fld, "contains a control character (only line breaks and tabs are allowed)"
    for fld in LIST_FIELDS:
        value = getattr(code, fld)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return fld, "must be a list of strings"
        if any(not v.strip() or _CONTROL_RE.search(v) for v in value):
            return fld, "must not contain empty entries or control characters"
    if any(";" in k or "\n" in k for k in code.keywords):
        return "keywords", "entries must be single words or short phrases without ';' or line breaks"
    if require_definitions and code.codable and not code.definition.strip():
        return "definition", "is empty; every codable code needs a definition"
    return None


def _check_codebook(
    book: Codebook, *, source: str | None, lines: dict[str, dict[str, int]], require_definitions: bool
) -> None:
    if not isinstance(book.name, str) or not book.name.strip():
        raise InvalidCodebook("is missing or empty; give the codebook a name", source=source, field="name")
    for fld in ("description", "version", "origin"):
        if not isinstance(getattr(book, fld), str):
            raise InvalidCodebook("must be a string", source=source, field=fld)
    _check_codes(book.codes, source=source, lines=lines, require_definitions=require_definitions)


def _check_codes(
    codes: list[CodeDef], *, source: str | None, lines: dict[str, dict[str, int]], require_definitions: bool
) -> None:
    by_uid: dict[str, CodeDef] = {}
    for code in codes:
        by_uid.setdefault(code.uid, code)

    def fail(code: CodeDef, problem: str, fld: str | None = None) -> InvalidCodebook:
        path = _safe_path(by_uid, code)
        where = lines.get(code.uid, {})
        line = where.get(fld or "", where.get("")) or None
        return InvalidCodebook(problem, source=source, code=path, field=fld, line=line)

    first_with_id: dict[str, CodeDef] = {}
    for code in codes:
        problem = _field_problem(code, require_definitions)
        if problem:
            raise fail(code, problem[1], problem[0])
        other = first_with_id.setdefault(code.uid.upper(), code)
        if other is not code:
            raise fail(code, f'{code.uid} is already the id of "{_safe_path(by_uid, other)}"', "id")
    _check_tree(codes, by_uid, fail)


def _check_tree(
    codes: list[CodeDef], by_uid: dict[str, CodeDef], fail: Callable[..., InvalidCodebook]
) -> None:
    position = {code.uid: i for i, code in enumerate(codes)}
    sibling_names: dict[tuple[str | None, str], CodeDef] = {}
    for i, code in enumerate(codes):
        if code.parent_uid is not None:
            if code.parent_uid not in by_uid:
                raise fail(code, f"refers to an unknown parent {code.parent_uid}", "parent_uid")
            if _in_cycle(code, by_uid):
                raise fail(code, "is part of a cycle of parents (a code cannot contain itself)", "parent_uid")
            if position[code.parent_uid] > i:
                raise fail(code, "comes before its parent; list parents before their children", "parent_uid")
        key = (code.parent_uid, code.name.strip().casefold())
        other = sibling_names.setdefault(key, code)
        if other is not code:
            raise fail(code, f'duplicates the name of "{other.name}" under the same parent', "name")


def _in_cycle(code: CodeDef, by_uid: dict[str, CodeDef]) -> bool:
    seen, current = {code.uid}, code
    while current.parent_uid in by_uid:
        current = by_uid[current.parent_uid]
        if current.uid in seen:
            return True
        seen.add(current.uid)
    return False


def validate_codebook(
    codebook: Codebook, *, source: str | None = None, require_definitions: bool = True
) -> None:
    """Raise InvalidCodebook for the first problem found: names, ids, colours, types, tree."""
    _check_codebook(codebook, source=source, lines={}, require_definitions=require_definitions)


def validate_codes(
    codes: list[CodeDef], *, source: str | None = None, require_definitions: bool = True
) -> None:
    """Like validate_codebook, for a bare list of codes (e.g. the codebook inside a project)."""
    _check_codes(codes, source=source, lines={}, require_definitions=require_definitions)


# --- helpers and YAML writing -------------------------------------------------------------


def code_path(codebook: Codebook, uid: str) -> str:
    """Return the "Parent/Child" path of the code with this uid (KeyError if there is none)."""
    by_uid = {code.uid: code for code in codebook.codes}
    return _safe_path(by_uid, by_uid[uid])


def in_tree_order(codes: list[CodeDef]) -> list[CodeDef]:
    """Return the codes with each one directly followed by its descendants (siblings keep order)."""
    known = {code.uid for code in codes}
    children: dict[str | None, list[CodeDef]] = {}
    for code in codes:
        children.setdefault(code.parent_uid if code.parent_uid in known else None, []).append(code)
    ordered: list[CodeDef] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        code = stack.pop()
        ordered.append(code)
        stack.extend(reversed(children.get(code.uid, [])))
    return ordered


class _Dumper(yaml.SafeDumper):
    """SafeDumper writing multi-line strings as ``|`` blocks and never using aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never write anchors: two codes sharing a list object stay readable."""
        return True


def _represent_str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    if any(ch in value for ch in "\x85\u2028\u2029"):
        style: str | None = '"'  # PyYAML writes these raw in other styles, and reads them back as breaks
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _code_mapping(code: CodeDef, children: dict[str | None, list[CodeDef]]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": code.uid, "name": code.name}
    if not code.codable:
        data["codable"] = False
    if code.color is not None:
        data["color"] = code.color
    for fld in TEXT_FIELDS + LIST_FIELDS:
        if getattr(code, fld):
            data[fld] = getattr(code, fld)
    kids = children.get(code.uid, [])
    if kids:
        data["children"] = [_code_mapping(kid, children) for kid in kids]
    return data


def dump_codebook(codebook: Codebook) -> str:
    """Write a codebook as YAML, nested by children, so that load(dump(cb)) == cb."""
    validate_codebook(codebook, require_definitions=False)
    children: dict[str | None, list[CodeDef]] = {}
    for code in codebook.codes:
        children.setdefault(code.parent_uid, []).append(code)
    data: dict[str, Any] = {"name": codebook.name}
    for fld in ("version", "description", "origin"):
        if getattr(codebook, fld):
            data[fld] = getattr(codebook, fld)
    data["codes"] = [_code_mapping(code, children) for code in children.get(None, [])]
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
