"""REFI-QDA exchange of recordings: AudioSource/VideoSource with a Transcript, SyncPoints and the media file."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import pytest

from conftest import fixtures_dir
from test_recordings import VTT, sox_wav
from workbench.export.refi import QdpxError, export_qdpx, import_qdpx
from workbench.sources import importer, media
from workbench.store import Store

Q = "{urn:QDA-XML:project:1.0}"


@pytest.fixture
def recorded(store: Store, tmp_path: Path) -> Store:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "interview.vtt").write_text(VTT, encoding="utf-8")
    sox_wav(folder / "interview.wav")
    importer.ingest_paths(store, [folder], actor="ana")
    source = store.source_by_name("interview.vtt")
    code = store.add_code("Mutual aid", "ana")
    start = source.text.index("WhatsApp group")
    store.add_coding(source.id, start, start + len("WhatsApp group"), code, "ana", memo="digital ties")
    store.set_attributes("source", source.id, {"site": "Northgate"}, "ana")
    return store


def schema_validate(document: bytes) -> None:
    import xmlschema

    xmlschema.XMLSchema(str(fixtures_dir("refi", "schemas") / "Project.xsd")).validate(document.decode("utf-8"))


@pytest.mark.parametrize("options", [{}, {"for_tool": "nvivo-win"}])
def test_export_writes_an_audio_source_with_transcript_sync_points_and_the_file(recorded: Store, tmp_path: Path,
                                                                               options: dict) -> None:
    source = recorded.source_by_name("interview.vtt")
    recording = recorded.recording(source.id)
    path = export_qdpx(recorded, tmp_path / "out.qdpx", actor="ana", **options)
    with zipfile.ZipFile(path) as archive:
        document = archive.read("project.qde")
        stored = archive.read(f"sources/{recording.sha256}.wav")
    schema_validate(document)
    assert hashlib.sha256(stored).hexdigest() == recording.sha256  # the recording, unaltered
    root = DefusedET.fromstring(document)
    [audio] = root.iter(f"{Q}AudioSource")
    assert audio.get("guid") == source.uid and audio.get("path") == f"internal://{recording.sha256}.wav"
    assert not list(root.iter(f"{Q}TextSource"))
    [transcript] = audio.findall(f"{Q}Transcript")
    assert transcript.get("guid") == recording.uid
    assert transcript.get("plainTextPath") == f"internal://{source.uid}.txt"
    points = {p.get("guid"): p for p in transcript.findall(f"{Q}SyncPoint")}
    assert sorted(int(p.get("timeStamp")) for p in points.values() if p.get("timeStamp")) == [0, 1500, 2000, 3000]
    [selection] = transcript.findall(f"{Q}TranscriptSelection")
    assert selection.get("name") == "WhatsApp group"
    start, end = (int(points[selection.get(a)].get("position")) for a in ("fromSyncPoint", "toSyncPoint"))
    assert points[selection.get("fromSyncPoint")].get("timeStamp") is None
    text = source.text.replace("\n", "\r\n") if options else source.text
    assert text[start:end] == "WhatsApp group"
    [value] = audio.findall(f"{Q}VariableValue")
    assert value.find(f"{Q}TextValue").text == "Northgate"


def test_round_trip_keeps_text_turn_times_codings_and_the_recording(recorded: Store, tmp_path: Path) -> None:
    source = recorded.source_by_name("interview.vtt")
    recording = recorded.recording(source.id)
    [coding] = recorded.codings(source_id=source.id)
    path = export_qdpx(recorded, tmp_path / "out.qdpx", actor="ana")
    other = Store.create(tmp_path / "other.wbproj")
    report = import_qdpx(other, path, actor="ben")
    assert report.recordings == ["interview.vtt"] and not report.skipped, report.summary()
    assert any("recordings attached: 1" in line for line in report.summary())
    copy = other.source_by_name("interview.vtt")
    assert copy.uid == source.uid and copy.text == source.text and copy.kind == "interview"
    turns = [(s.speaker, s.start, s.end, s.start_time, s.end_time) for s in other.segments(copy.id, kinds=["turn"])]
    assert turns == [(s.speaker, s.start, s.end, s.start_time, s.end_time)
                     for s in recorded.segments(source.id, kinds=["turn"])]
    assert [t[3:] for t in turns] == [(0.0, 1.5), (2.0, 3.0)]
    heard = other.recording(copy.id)
    assert (heard.sha256, heard.uid, heard.kind, heard.format) == (recording.sha256, recording.uid, "audio", "wav")
    assert hashlib.sha256((other.media_dir / heard.file).read_bytes()).hexdigest() == recording.sha256
    assert media.playable(other, copy.id) == heard
    [again] = other.codings(source_id=copy.id)
    assert (again.uid, again.start, again.end, again.memo) == (coding.uid, coding.start, coding.end, "digital ties")
    # importing it again changes nothing
    second = import_qdpx(other, path, actor="ben")
    assert second.sources_reused == ["interview.vtt"] and not second.recordings
    assert len(other.recordings()) == 1 and len(list(other.media_dir.iterdir())) == 1


def test_a_recording_missing_at_export_is_named_and_nothing_is_written(recorded: Store, tmp_path: Path) -> None:
    recording = recorded.recordings()[0]
    (recorded.media_dir / recording.file).unlink()
    with pytest.raises(QdpxError, match=r"interview\.vtt: cannot be exported with its recording: .*is missing"):
        export_qdpx(recorded, tmp_path / "out.qdpx")
    assert not list(tmp_path.glob("*out.qdpx*"))


def _rewrite(path: Path, target: Path, *, drop_media: bool = False, qde=lambda text: text) -> Path:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "project.qde":
                data = qde(data.decode("utf-8")).encode("utf-8")
            if drop_media and name.endswith(".wav"):
                continue
            out.writestr(name, data)
    return target


def test_an_archive_without_the_recording_imports_the_transcript_and_says_so(recorded: Store, tmp_path: Path) -> None:
    path = _rewrite(export_qdpx(recorded, tmp_path / "out.qdpx"), tmp_path / "cut.qdpx", drop_media=True)
    other = Store.create(tmp_path / "other.wbproj")
    report = import_qdpx(other, path, actor="ben")
    [skipped] = report.skipped
    assert skipped.what == "recording" and "is not in the archive" in skipped.reason
    copy = other.source_by_name("interview.vtt")
    assert other.recording(copy.id) is None and len(other.codings(source_id=copy.id)) == 1
    assert not other.media_dir.exists() or not list(other.media_dir.iterdir())


def test_a_selection_naming_an_unknown_sync_point_refuses_the_file_and_copies_nothing(recorded: Store,
                                                                                     tmp_path: Path) -> None:
    def break_selection(text: str) -> str:
        start = text.index('fromSyncPoint="') + len('fromSyncPoint="')
        return text[:start] + "00000000-0000-0000-0000-000000000000" + text[start + 36:]

    path = _rewrite(export_qdpx(recorded, tmp_path / "out.qdpx"), tmp_path / "bad.qdpx", qde=break_selection)
    other = Store.create(tmp_path / "other.wbproj")
    with pytest.raises(QdpxError, match="no SyncPoint of its transcript"):
        import_qdpx(other, path, actor="ben")
    assert other.list_sources() == [] and other.recordings() == []
    assert not other.media_dir.exists() or not list(other.media_dir.iterdir())


def test_a_media_source_without_a_transcript_is_still_skipped(recorded: Store, tmp_path: Path) -> None:
    def drop_transcript(text: str) -> str:
        start, end = text.index("<Transcript "), text.index("</Transcript>") + len("</Transcript>")
        return text[:start] + text[end:]

    path = _rewrite(export_qdpx(recorded, tmp_path / "out.qdpx"), tmp_path / "bare.qdpx", qde=drop_transcript)
    other = Store.create(tmp_path / "other.wbproj")
    report = import_qdpx(other, path, actor="ben")
    assert [(s.what, s.name) for s in report.skipped] == [("source", "interview.vtt")]
    assert "audio sources are not supported" in report.skipped[0].reason
