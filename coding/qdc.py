"""REFI-QDA codebook exchange: write and read ``.qdc`` files (namespace urn:QDA-XML:codebook:1.0).

REFI-QDA gives a code only a name, a GUID, a colour, ``isCodable``, a ``Description`` and child
codes. Our other fields travel inside the Description in a layout that people using NVivo,
ATLAS.ti or MAXQDA can read and that ``parse_description`` turns back into fields exactly::

    <definition>

    When to use: <use_when>

    When not to use: <dont_use_when>

    Examples:
    - <example, continuation lines indented by two spaces>

    Keywords: <keyword>; <keyword>

A .qdc has no place for the codebook's own name, version or description: they are not written,
and ``import_qdc`` names the codebook after the file (or ``name=``). Code sets (``<Sets>``) are
ignored on import. Input is parsed only with defusedxml.
"""
from __future__ import annotations

import os
import re
import uuid
import xml.etree.ElementTree as ET  # building and writing only; parsing goes through defusedxml
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import defusedxml.ElementTree as DefusedET
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden, NotSupportedError

from coding.codebook import (
    GUID_RE,
    CodeDef,
    Codebook,
    InvalidCodebook,
    in_tree_order,
    validate_codebook,
    validate_codes,
)

CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
DEFAULT_ORIGIN = "Resilience Workbench 0.1"
USE_WHEN = "When to use: "
DONT_USE_WHEN = "When not to use: "
EXAMPLES = "Examples:\n"
KEYWORDS = "Keywords: "
_HEADERS = (USE_WHEN, DONT_USE_WHEN, EXAMPLES, KEYWORDS)
_HEADER_RE = re.compile("(?:^|\n\n)(" + "|".join(re.escape(h) for h in _HEADERS) + ")")
_SHORT_COLOR_RE = re.compile(r"#([0-9A-Fa-f])([0-9A-Fa-f])([0-9A-Fa-f])")
_LONG_COLOR_RE = re.compile(r"#[0-9A-Fa-f]{6}")
_DOTTED_NAMESPACE = uuid.UUID("6A0B5E1C-3F0E-4C55-9B8E-2D7C1E0F4A31")


class InvalidQdc(InvalidCodebook):
    """A REFI-QDA codebook file is unsafe, not well-formed, or breaks the codebook format."""


@dataclass
class DescriptionParts:
    """The fields of a code as recovered from a REFI-QDA ``Description``."""

    definition: str = ""
    use_when: str = ""
    dont_use_when: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)


def normalize_guid(guid: str) -> str:
    """Return a GUID in our canonical form: no braces, uppercase (REFI GUIDs are case-insensitive)."""
    return guid.strip().strip("{}").upper()


# --- the Description layout ---------------------------------------------------------------


def format_description(code: CodeDef) -> str:
    """Lay out a code's definition, guidance, examples and keywords as one readable text."""
    parts = [code.definition] if code.definition else []
    if code.use_when:
        parts.append(USE_WHEN + code.use_when)
    if code.dont_use_when:
        parts.append(DONT_USE_WHEN + code.dont_use_when)
    if code.examples:
        parts.append(EXAMPLES + "\n".join("- " + ex.replace("\n", "\n  ") for ex in code.examples))
    if code.keywords:
        parts.append(KEYWORDS + "; ".join(code.keywords))
    return "\n\n".join(parts)


def _parse_examples(body: str) -> list[str] | None:
    examples: list[str] = []
    for line in body.split("\n"):
        if line.startswith("- "):
            examples.append(line[2:])
        elif line.startswith("  ") and examples:
            examples[-1] += "\n" + line[2:]
        else:
            return None
    return examples


def parse_description(text: str) -> DescriptionParts:
    """Split a Description written by format_description back into fields.

    Text in any other layout (as other tools write it) becomes the definition, unchanged.
    """
    matches = list(_HEADER_RE.finditer(text))
    headers = [m.group(1) for m in matches]
    if not matches or headers != sorted(set(headers), key=_HEADERS.index):
        return DescriptionParts(definition=text)
    parts = DescriptionParts(definition=text[: matches[0].start()])
    for match, following in zip(matches, matches[1:] + [None]):
        body = text[match.end() : following.start() if following else len(text)]
        header = match.group(1)
        if header == USE_WHEN:
            parts.use_when = body
        elif header == DONT_USE_WHEN:
            parts.dont_use_when = body
        elif header == EXAMPLES:
            examples = _parse_examples(body)
            if examples is None:
                return DescriptionParts(definition=text)
            parts.examples = examples
        else:
            keywords = body.split("; ")
            if "\n" in body or not all(k.strip() for k in keywords):
                return DescriptionParts(definition=text)
            parts.keywords = keywords
    return parts


# --- export -------------------------------------------------------------------------------


def _q(tag: str, namespace: str = CODEBOOK_NAMESPACE) -> str:
    return f"{{{namespace}}}{tag}"


def codebook_element(
    codebook: Codebook, *, origin: str | None = None, xmlns: str | None = None
) -> ET.Element:
    """Build a ``<CodeBook>`` element for a valid codebook, with unqualified tags.

    ``xmlns`` declares the default namespace on the element (a .qdc); leave it None to nest the
    element in a document that declares it already (a project.qde).
    """
    attributes = {"xmlns": xmlns} if xmlns else {}
    if origin:
        attributes["origin"] = origin
    root = ET.Element("CodeBook", attributes)
    codes_element = ET.SubElement(root, "Codes")
    element_for: dict[str, ET.Element] = {}
    for code in in_tree_order(codebook.codes):
        parent = codes_element if code.parent_uid is None else element_for[code.parent_uid]
        attributes = {"guid": code.uid, "name": code.name, "isCodable": "true" if code.codable else "false"}
        if code.color:
            attributes["color"] = code.color
        element = ET.SubElement(parent, "Code", attributes)
        description = format_description(code)
        if description:  # the schema wants Description before any child Code
            ET.SubElement(element, "Description").text = description
        element_for[code.uid] = element
    return root


def export_qdc(
    codebook: Codebook, path_or_file: str | os.PathLike[str] | IO[bytes], *, origin: str = DEFAULT_ORIGIN
) -> None:
    """Write the codebook as a REFI-QDA ``.qdc`` file (UTF-8) to a path or a binary file."""
    validate_codebook(codebook, require_definitions=False)
    if not codebook.codes:
        raise InvalidQdc(f'codebook "{codebook.name}" has no codes; a REFI-QDA codebook needs at least one')
    tree = ET.ElementTree(codebook_element(codebook, origin=origin, xmlns=CODEBOOK_NAMESPACE))
    ET.indent(tree, space="  ")
    tree.write(path_or_file, encoding="utf-8", xml_declaration=True)


# --- import -------------------------------------------------------------------------------


def _source_name(path_or_file: Any) -> str | None:
    if isinstance(path_or_file, (str, os.PathLike)):
        return Path(path_or_file).name
    name = getattr(path_or_file, "name", None)
    return Path(name).name if isinstance(name, str) else None


def _parse_xml(path_or_file: Any, source: str | None) -> ET.Element:
    try:
        return DefusedET.parse(path_or_file).getroot()
    except DefusedET.ParseError as err:
        line = err.position[0] if getattr(err, "position", None) else None
        problem = f"is not well-formed XML (broken or truncated): {err}"
        raise InvalidQdc(problem, source=source, line=line) from err
    except EntitiesForbidden as err:
        if err.sysid or err.pubid:
            raise InvalidQdc(
                f'declares the external entity "{err.name}" ({err.sysid or err.pubid}); refused because '
                "external entities can read local files or reach the network",
                source=source,
            ) from err
        raise InvalidQdc(
            f'declares the XML entity "{err.name}"; files with entity declarations are refused '
            "because entity expansion (e.g. 'billion laughs') can exhaust memory",
            source=source,
        ) from err
    except (ExternalReferenceForbidden, DTDForbidden) as err:
        raise InvalidQdc(
            f"refers to an external resource ({err}); external entities and DTDs are refused for safety",
            source=source,
        ) from err
    except NotSupportedError as err:
        raise InvalidQdc(f"uses an XML feature refused for safety: {err}", source=source) from err


def _split_tag(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _check_root(root: ET.Element, source: str | None) -> None:
    namespace, local = _split_tag(root.tag)
    if local == "CodeBook" and namespace == CODEBOOK_NAMESPACE:
        return
    found = f'namespace "{namespace}"' if namespace else "no namespace"
    hint = "; this is a REFI-QDA project, import the .qdpx instead" if namespace == PROJECT_NAMESPACE else ""
    supported = f'<CodeBook> in namespace "{CODEBOOK_NAMESPACE}"'
    raise InvalidQdc(f"has root element <{local}> in {found}; supported: {supported}{hint}", source=source)


def _parse_color(value: str | None, path: str, source: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    short = _SHORT_COLOR_RE.fullmatch(value)
    if short:  # REFI allows #RGB; we keep #RRGGBB
        return "#" + "".join(2 * digit for digit in short.groups()).upper()
    if not _LONG_COLOR_RE.fullmatch(value):
        raise InvalidQdc(f"must be #RRGGBB or #RGB, not {value!r}", source=source, code=path, field="color")
    return value


def _parse_codable(value: str | None, path: str, source: str | None) -> bool:
    if value is None:  # required by the schema; real files always have it, so be lenient
        return True
    if value.strip() in ("true", "1"):
        return True
    if value.strip() in ("false", "0"):
        return False
    raise InvalidQdc(f"must be true or false, not {value!r}", source=source, code=path, field="isCodable")


def _read_code(
    element: ET.Element, parent: CodeDef | None, path_above: str, namespace: str, source: str | None
) -> CodeDef:
    raw_name = element.get("name")
    guid = element.get("guid")
    if raw_name is None or not raw_name.strip():
        where = f"{path_above}/(guid {guid})" if path_above else f"(guid {guid})"
        raise InvalidQdc("is missing or empty", source=source, code=where, field="name")
    name = re.sub(r"[\t\r\n]", " ", raw_name)  # XML attributes may carry &#10;; names are one line
    path = f"{path_above}/{name}" if path_above else name
    if guid is None or not GUID_RE.fullmatch(normalize_guid(guid)):
        problem = "is missing" if guid is None else f"is not a GUID: {guid!r}"
        raise InvalidQdc(problem, source=source, code=path, field="guid")
    description = element.find(_q("Description", namespace))
    text = (description.text or "") if description is not None else ""
    parts = parse_description(text.replace("\r\n", "\n").replace("\r", "\n"))
    return CodeDef(
        uid=normalize_guid(guid),
        name=name,
        parent_uid=parent.uid if parent else None,
        definition=parts.definition,
        use_when=parts.use_when,
        dont_use_when=parts.dont_use_when,
        examples=parts.examples,
        keywords=parts.keywords,
        color=_parse_color(element.get("color"), path, source),
        codable=_parse_codable(element.get("isCodable"), path, source),
    )


def _check_unique_guids(codes: list[CodeDef], paths: dict[int, str], source: str | None) -> None:
    first: dict[str, int] = {}
    for index, code in enumerate(codes):
        other = first.setdefault(code.uid, index)
        if other != index:
            problem = f'{code.uid} is already the guid of "{paths[other]}"'
            raise InvalidQdc(problem, source=source, code=paths[index], field="guid")


def codes_from_element(element: ET.Element, namespace: str, *, source: str | None = None) -> list[CodeDef]:
    """Read the codes of a ``<CodeBook>`` (or its ``<Codes>``) element, in tree order.

    ``namespace`` is the document's namespace: CODEBOOK_NAMESPACE for a .qdc, PROJECT_NAMESPACE
    for the CodeBook inside a project.qde. GUIDs come back normalised (see normalize_guid).
    """
    _, local = _split_tag(element.tag)
    codes_element = element if local == "Codes" else element.find(_q("Codes", namespace))
    if codes_element is None:
        return []
    codes: list[CodeDef] = []
    paths: dict[int, str] = {}
    # an explicit stack, not recursion: a hostile file may nest codes thousands deep
    stack: list[tuple[ET.Element, CodeDef | None, str]] = [
        (child, None, "") for child in reversed(codes_element.findall(_q("Code", namespace)))
    ]
    while stack:
        child, parent, path_above = stack.pop()
        code = _read_code(child, parent, path_above, namespace, source)
        path = f"{path_above}/{code.name}" if path_above else code.name
        paths[len(codes)] = path
        codes.append(code)
        grandchildren = child.findall(_q("Code", namespace))
        stack.extend((grandchild, code, path) for grandchild in reversed(grandchildren))
    _check_unique_guids(codes, paths, source)
    _validate_imported(codes, source)
    return codes


def _validate_imported(codes: list[CodeDef], source: str | None) -> None:
    try:
        validate_codes(codes, source=source, require_definitions=False)
    except InvalidCodebook as err:
        raise InvalidQdc(err.problem, source=err.source, code=err.code, field=err.field) from err


def _dotted_uid(prefix: str) -> str:
    return str(uuid.uuid5(_DOTTED_NAMESPACE, prefix)).upper()


def _dotted_parts(name: str) -> list[str] | None:
    parts = name.split(".")
    if len(parts) < 2 or any(not part or part != part.strip() for part in parts):
        return None
    return parts


def dotted_to_hierarchy(codes: list[CodeDef]) -> list[CodeDef]:
    """Turn top-level codes named like ``a.b`` into a code ``b`` under ``a`` (Taguette's habit).

    A missing ``a`` is created as a non-codable category with a GUID derived from its name, so
    importing the same file twice gives the same GUIDs. Names such as ``1. Intro`` are left alone.
    """
    top_level = {code.name: code for code in codes if code.parent_uid is None}
    made: dict[str, CodeDef] = {}
    result: list[CodeDef] = []
    for code in codes:
        parts = _dotted_parts(code.name) if code.parent_uid is None else None
        if parts is None:
            result.append(code)
            continue
        parent_uid: str | None = None
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            parent = top_level.get(prefix) or made.get(prefix)
            if parent is None:
                parent = CodeDef(
                    uid=_dotted_uid(prefix), name=parts[depth - 1], parent_uid=parent_uid, codable=False
                )
                made[prefix] = parent
                result.append(parent)
            parent_uid = parent.uid
        result.append(replace(code, name=parts[-1], parent_uid=parent_uid))
    return in_tree_order(result)


def import_qdc(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    *,
    name: str | None = None,
    dotted_hierarchy: bool = False,
) -> Codebook:
    """Read a REFI-QDA ``.qdc`` codebook from a path or binary file.

    The codebook is named ``name`` or after the file; ``origin`` is the file's ``origin``
    attribute. With ``dotted_hierarchy=True`` flat names like ``a.b`` become nested codes.
    """
    source = _source_name(path_or_file)
    root = _parse_xml(path_or_file, source)
    _check_root(root, source)
    codes = codes_from_element(root, CODEBOOK_NAMESPACE, source=source)
    if dotted_hierarchy:
        codes = dotted_to_hierarchy(codes)
        _validate_imported(codes, source)
    book_name = name or (Path(source).stem if source else "") or "Imported codebook"
    return Codebook(name=book_name, codes=codes, origin=root.get("origin", ""))
