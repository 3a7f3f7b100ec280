"""load_path dispatch, and the offset invariants on every sample file of every format."""
from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
import pytest

from ingest import SOURCE_KINDS, SUPPORTED_EXTENSIONS, IngestError, LoadedSource, load_path

DATA = Path(__file__).resolve().parent / "data" / "ingest"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SAMPLES = sorted(
    p for p in DATA.iterdir()
    if p.suffix in SUPPORTED_EXTENSIONS and p.name not in {"attributes.csv", "scanned.pdf", "encrypted.pdf"}
)
FIXTURE_SAMPLES = [
    FIXTURES / "transcripts" / "qc-demo_admin-1.txt",
    FIXTURES / "transcripts" / "qc-demo_board_2017.txt",
    FIXTURES / "transcripts" / "vtt" / "teams_timeframe.vtt",
    FIXTURES / "transcripts" / "vtt" / "sample.vtt",
    FIXTURES / "coded" / "bopp-games-as-art" / "bopp_test.csv",
    FIXTURES / "coded" / "bopp-games-as-art" / "bopp_test_input.docx",
]
EXPECTED_KINDS = {
    "bracket_after.txt": "interview", "bracket_first.txt": "interview", "fieldnotes.txt": "document",
    "foodbank_journal.txt": "diary", "foodbank_otter.txt": "interview", "garden_diary.md": "diary",
    "garden_interview_colon.txt": "interview", "garden_report.pdf": "document", "neighbourhood_posts.csv": "social",
    "neighbourhood_posts.json": "social", "plain_captions.srt": "interview", "repair_cafe.srt": "interview",
    "resilience_survey.csv": "survey", "volunteers_meeting.vtt": "interview", "zoom_prefix.vtt": "interview",
}


def assert_invariants(source: LoadedSource) -> None:
    """Offsets are valid, ordered, non-overlapping; text is normalised; kind and format are known."""
    text = source.text
    assert "\r" not in text and "\ufeff" not in text[:1]
    assert source.kind in SOURCE_KINDS
    assert source.format in {"txt", "md", "docx", "pdf", "vtt", "srt", "csv", "xlsx", "json"}
    assert source.segments, "every loaded source has at least one segment"
    previous_end = 0
    for segment in source.segments:
        assert 0 <= previous_end <= segment.start <= segment.end <= len(text)
        covered = text[segment.start:segment.end]
        assert covered and covered == covered.strip()
        previous_end = segment.end
    assert all(isinstance(v, str) for v in source.metadata.values())


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_file_loads_with_valid_offsets(path):
    sources = load_path(path)
    assert len(sources) == 1
    assert sources[0].name == path.name
    assert sources[0].kind == EXPECTED_KINDS[path.name]
    assert_invariants(sources[0])


@pytest.mark.parametrize("path", FIXTURE_SAMPLES, ids=lambda p: p.name)
def test_every_real_fixture_loads_with_valid_offsets(path):
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not available")
    for source in load_path(path):
        assert_invariants(source)


def test_generated_docx_and_xlsx(tmp_path):
    document = docx.Document()
    document.add_paragraph("Chair: Shall we start with the rota?")
    document.add_paragraph("Dee: Yes, I can do Mondays.")
    document.add_paragraph("Chair: Great, thanks Dee.")
    document.save(str(tmp_path / "meeting.docx"))
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "ward", "What would help your street cope with the next storm?"])
    workbook.active.append(["S1", "North", "A list of who needs checking on, kept by someone local."])
    workbook.save(tmp_path / "storm.xlsx")
    for name in ("meeting.docx", "storm.xlsx"):
        [source] = load_path(tmp_path / name)
        assert_invariants(source)


@pytest.mark.parametrize("name", ["notes.odt", "photo.png", "README", "data.tsv"])
def test_unsupported_extension(tmp_path, name):
    path = tmp_path / name
    path.write_text("something", encoding="utf-8")
    with pytest.raises(IngestError, match="unsupported file type") as caught:
        load_path(path)
    assert name in str(caught.value)


def test_directory_is_refused(tmp_path):
    folder = tmp_path / "interviews.txt"
    folder.mkdir()
    with pytest.raises(IngestError, match="is a directory"):
        load_path(folder)


@pytest.mark.parametrize("suffix", [".txt", ".docx", ".pdf", ".vtt", ".csv", ".json"])
def test_missing_file(tmp_path, suffix):
    with pytest.raises(IngestError, match="not found"):
        load_path(tmp_path / f"gone{suffix}")


def test_string_path_and_upper_case_extension(tmp_path):
    path = tmp_path / "NOTES.TXT"
    path.write_text("One paragraph about the warm space at St Anne's.\n", encoding="utf-8")
    [source] = load_path(str(path))
    assert source.format == "txt" and source.kind == "document"


def test_survey_options_only_for_tables():
    with pytest.raises(IngestError, match="do not apply"):
        load_path(DATA / "fieldnotes.txt", open_columns=["x"])
    with pytest.raises(IngestError, match="do not apply"):
        load_path(DATA / "resilience_survey.csv", colour="blue")


def test_unknown_kind():
    with pytest.raises(IngestError, match="unknown source kind 'podcast'"):
        load_path(DATA / "fieldnotes.txt", kind="podcast")
