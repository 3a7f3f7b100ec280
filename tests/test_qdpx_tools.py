"""`export qdpx --for TOOL`: texts and positions written the way each tool counts them.

Each check reads the written archive as that tool reads it, counted here independently of the
exporter: NVivo counts UTF-16 code units of the text as written (CR+LF is two); ATLAS.ti counts
CR+LF as one; MAXQDA and QualCoder read LF text (QualCoder through Python's universal newlines)
in code points; the REFI standard counts code points of the text as written.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.export.refi import export_qdpx, import_qdpx
from workbench.export.refi.targets import TARGETS, target_for
from workbench.store import Store

from conftest import fixtures_dir
from test_qdpx_export import CODEBOOK, MAUREEN, add_source, span

Q = "{urn:QDA-XML:project:1.0}"
# tool -> (how many positions a CR+LF in the file counts, positions in UTF-16 code units)
HOW_TOOLS_COUNT = {"refi": (2, False), "nvivo-win": (2, True), "nvivo-mac": (2, True), "atlasti": (1, False),
                   "maxqda": (1, False), "qualcoder": (1, False)}
FIXTURE_TOOL = {"nvivo-win-12.6.qdpx": "nvivo-win", "nvivo-mac-15.0.qdpx": "nvivo-mac",
                "atlasti-win-23.2.3-blank.qdpx": "atlasti", "atlasti-win-23.2.3-codes.qdpx": "atlasti",
                "qc-1.3.2-demo.qdpx": "refi"}  # qc (not QualCoder) writes the REFI standard: LF, code points
EMOJI_LINES = MAUREEN + "\n\nMaureen: 🌱🌱 Twice\nover. 👋🏽 Bye."


def read_as(tool: str, data: bytes, start: int, end: int) -> str:
    """The characters a tool selects for ``[start, end)`` of a written text file."""
    crlf_units, utf16 = HOW_TOOLS_COUNT[tool]
    text = data.decode("utf-8-sig")
    if crlf_units == 1:
        text = text.replace("\r\n", "\n")
    if utf16:
        return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")
    return text[start:end]


def written_selections(path: Path, tool: str) -> dict[str, tuple[str, str]]:
    """Coding GUID -> (code GUID, the words the tool selects), read from the archive."""
    with zipfile.ZipFile(path) as archive:
        root = DefusedET.fromstring(archive.read("project.qde"))
        found = {}
        for source in root.iter(f"{Q}TextSource"):
            data = archive.read(f"sources/{source.get('plainTextPath').removeprefix('internal://')}")
            for selection in source.iter(f"{Q}PlainTextSelection"):
                words = read_as(tool, data, int(selection.get("startPosition")), int(selection.get("endPosition")))
                for coding in selection.iter(f"{Q}Coding"):
                    found[coding.get("guid").upper()] = (coding.find(f"{Q}CodeRef").get("targetGUID").upper(), words)
    return found


def project_words(store: Store, tool: str, crlf_written: bool) -> dict[str, tuple[str, str]]:
    """Coding GUID -> (code GUID, coded words), with newlines as the tool sees them in the written file."""
    crlf_units, _ = HOW_TOOLS_COUNT[tool]
    newline = "\r\n" if crlf_written and crlf_units == 2 else "\n"
    codes = {c.id: c.uid.upper() for c in store.codes()}
    texts = {i: store.get_source(i).text for i in store.source_ids()}
    return {c.uid.upper(): (codes[c.code_id], texts[c.source_id][c.start:c.end].replace("\n", newline))
            for c in store.codings()}


def add_emoji_source(store: Store) -> None:
    """A source whose emoji and line breaks make every way of counting give different positions."""
    store.import_codebook(CODEBOOK, "ana")
    source = add_source(store, "emoji.txt", EMOJI_LINES, {}, None)
    text = store.get_source(source).text
    code = store.find_code("Place attachment").id
    for words in ("neighbour dragged me along 🌱. Now", "The pantry is a lifeline",
                  "🌱🌱 Twice\nover. 👋🏽 Bye", "Twice\nover"):
        store.add_coding(source, *span(text, words), code, "ana")


def check_export(store: Store, tmp_path: Path, tool: str) -> int:
    path = export_qdpx(store, tmp_path / f"{tool}.qdpx", for_tool=None if tool == "refi" else tool)
    target = target_for(None if tool == "refi" else tool)
    with zipfile.ZipFile(path) as archive:
        texts = [archive.read(n) for n in archive.namelist() if n.startswith("sources/")]
    assert all((b"\r\n" in t) == target.crlf for t in texts if b"\n" in t)
    assert not any(t.startswith(b"\xef\xbb\xbf") for t in texts)
    written = written_selections(path, tool)
    expected = project_words(store, tool, target.crlf)
    assert written == expected
    return len(written)


@pytest.mark.parametrize("fixture", sorted(FIXTURE_TOOL))
def test_every_fixture_exported_for_its_tool_lands_on_the_same_words(store: Store, tmp_path: Path,
                                                                     fixture: str) -> None:
    import_qdpx(store, fixtures_dir("refi", "qdpx") / fixture, actor="tester")
    imported = store.counts()["codings"]
    add_emoji_source(store)
    assert check_export(store, tmp_path, FIXTURE_TOOL[fixture]) == imported + 4


@pytest.mark.parametrize("tool", sorted(HOW_TOOLS_COUNT))
def test_every_tool_reads_the_emoji_and_line_breaks_on_the_coded_words(store: Store, tmp_path: Path,
                                                                        tool: str) -> None:
    add_emoji_source(store)
    assert check_export(store, tmp_path, tool) == 4


def test_expert_overrides_adjust_a_tool(store: Store) -> None:
    assert target_for("nvivo-win", utf16=False).utf16 is False
    assert target_for("nvivo-win", utf16=False).crlf is True
    assert target_for(None, crlf=True).crlf is True and target_for(None).crlf is False
    assert set(TARGETS) == {"nvivo-win", "nvivo-mac", "atlasti", "maxqda", "qualcoder"}
    with pytest.raises(ValueError, match="unknown tool 'spss'"):
        target_for("spss")


def test_cli_for_names_the_tool_and_the_counting(store: Store, tmp_path: Path) -> None:
    add_emoji_source(store)
    out = tmp_path / "out.qdpx"
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "qdpx", "--out", str(out), "--for", "nvivo-mac", "--project",
                                 str(store.path), "--as", "ana"])
    assert result.exit_code == 0, result.output
    assert "for NVivo for Mac: positions in UTF-16 code units, CR+LF line endings counted as two" in result.output
    assert written_selections(out, "nvivo-mac") == project_words(store, "nvivo-mac", True)
    result = runner.invoke(cli, ["export", "qdpx", "--out", str(out), "--for", "nvivo-win", "--code-points",
                                 "--project", str(store.path)])
    assert result.exit_code == 0, result.output
    assert "code points, CR+LF line endings counted as two" in result.output
    result = runner.invoke(cli, ["export", "qdpx", "--out", str(out), "--for", "spss", "--project", str(store.path)])
    assert result.exit_code == 2 and "nvivo-win" in result.output
    result = runner.invoke(cli, ["export", "qdpx", "--help"])
    assert all(tool in result.output for tool in TARGETS)
