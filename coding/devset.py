"""The human-coded development set (Bopp et al. "games as art" answers, coded by the LLMCode authors).

``bopp_test_coded_texts.csv`` has ``text,coded_text``; ``coded_text`` marks coded spans as
``**span**<sup>code; code</sup>`` (bold without ``<sup>`` is not a coding). The coders also
fixed a few typos and spaces in ``coded_text``, so span offsets into the plain ``text`` are
recovered by a character alignment (difflib) of the unmarked coded text with the plain text,
and every span is checked against the text it lands on.
"""
from __future__ import annotations

import csv
import difflib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from coding.codebook import Codebook, CodeDef

DEVSET_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "coded" / "bopp-games-as-art"
CODED_FILE = "bopp_test_coded_texts.csv"
CODES_FILE = "bopp_test_code_descriptions.csv"
# uids are uuid5(DEVSET_NAMESPACE, code name), upper case: stable across runs and machines
DEVSET_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/PerttuHamalainen/LLMCode")

_MARK = re.compile(r"\*\*(.+?)\*\*(?:<sup>(.*?)</sup>)?", re.S)

Span = tuple[int, int, int, str]  # (text index, start, end, code uid)


class DevSetError(ValueError):
    """The development set files are missing or malformed."""


@dataclass
class AlignmentReport:
    """How well the marked spans were located in the plain texts."""

    n_spans: int = 0  # span-code pairs read from the markup
    exact: int = 0  # the plain text at the offsets equals the marked text
    whitespace: int = 0  # equal up to whitespace
    fuzzy: int = 0  # the coders fixed a typo inside the span (similarity >= 0.9)
    unaligned: list[tuple[int, str]] = field(default_factory=list)  # (text index, marked text), dropped

    def summary(self) -> str:
        """One line for logs and benches."""
        return (
            f"{self.n_spans} span-code pairs: {self.exact} exact, {self.whitespace} equal up to whitespace, "
            f"{self.fuzzy} with typo fixes, {len(self.unaligned)} not aligned"
        )


@dataclass
class DevSet:
    """Texts, their codebook and the human codings as ``(text index, start, end, code uid)``."""

    codebook: Codebook
    texts: list[str]
    spans: list[Span]
    report: AlignmentReport

    def code_names(self) -> dict[str, str]:
        """Code uid -> name."""
        return {c.uid: c.name for c in self.codebook.codes}


def code_uid(name: str) -> str:
    """Deterministic REFI-style uid of a development-set code."""
    return str(uuid.uuid5(DEVSET_NAMESPACE, name)).upper()


def load_devset(folder: Path | str = DEVSET_DIR) -> DevSet:
    """Read the coded texts and code descriptions into a DevSet."""
    folder = Path(folder)
    coded_rows = _read_csv(folder / CODED_FILE, ("text", "coded_text"))
    code_rows = _read_csv(folder / CODES_FILE, ("code", "description"))
    codebook = Codebook(
        name="Games as art (LLMCode development set)",
        codes=[CodeDef(uid=code_uid(r["code"]), name=r["code"], definition=r["description"]) for r in code_rows],
        description="Codes of the human-coded 'Why art?' answers (Bopp et al., coded by the LLMCode authors)",
        origin=f"{folder.name}/{CODES_FILE}",
    )
    uids = {c.name: c.uid for c in codebook.codes}
    report = AlignmentReport()
    spans: list[Span] = []
    for index, row in enumerate(coded_rows):
        spans.extend(_spans_of(index, row["text"], row["coded_text"], uids, report))
    return DevSet(codebook, [r["text"] for r in coded_rows], spans, report)


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file that must have the given columns."""
    if not path.is_file():
        raise DevSetError(f"development set file not found: {path}")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or any(c not in rows[0] for c in columns):
        raise DevSetError(f"{path.name} must have the columns {', '.join(columns)}")
    return rows


def parse_marked(coded: str) -> tuple[str, list[tuple[int, int, list[str]]]]:
    """Strip the markup: the unmarked text and its coded spans ``(start, end, code names)``."""
    parts: list[str] = []
    spans: list[tuple[int, int, list[str]]] = []
    pos, length = 0, 0
    for m in _MARK.finditer(coded):
        parts.append(coded[pos : m.start()])
        length += m.start() - pos
        body = m.group(1)
        if m.group(2) is not None:
            names = [n.strip() for n in m.group(2).split(";") if n.strip()]
            spans.append((length, length + len(body), names))
        parts.append(body)
        length += len(body)
        pos = m.end()
    parts.append(coded[pos:])
    return "".join(parts), spans


def position_map(source: str, target: str) -> list[int]:
    """For each position 0..len(source) in ``source``, the corresponding position in ``target``."""
    mapping = [0] * (len(source) + 1)
    matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(i1, i2):
            mapping[k] = j1 + (k - i1) if op == "equal" or i2 - i1 == j2 - j1 else j1 + min(k - i1, j2 - j1)
        mapping[i2] = j2
    return mapping


def _spans_of(index: int, text: str, coded: str, uids: dict[str, str], report: AlignmentReport) -> list[Span]:
    """Aligned spans of one text; records each check in the report."""
    unmarked, marked = parse_marked(coded)
    mapping = position_map(unmarked, text) if unmarked != text else None
    out: list[Span] = []
    for start, end, names in marked:
        span_text = unmarked[start:end]
        s, e = (start, end) if mapping is None else _trim(text, mapping[start], mapping[end])
        quality = _quality(text[s:e], span_text)
        for name in names:
            if name not in uids:
                raise DevSetError(f"text {index}: code {name!r} is not in {CODES_FILE}")
            report.n_spans += 1
            if quality is None:
                report.unaligned.append((index, span_text))
                continue
            setattr(report, quality, getattr(report, quality) + 1)
            out.append((index, s, e, uids[name]))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` to exclude surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _quality(found: str, marked: str) -> str | None:
    """"exact", "whitespace" or "fuzzy" agreement of the located text with the marked text; None if off."""
    if found == marked:
        return "exact"
    if found.split() == marked.split():
        return "whitespace"
    if found and difflib.SequenceMatcher(None, found, marked, autojunk=False).ratio() >= 0.9:
        return "fuzzy"
    return None
