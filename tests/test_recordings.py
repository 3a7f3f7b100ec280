"""Recordings: audio or video beside a transcript, copied into <project>.media/, never altered."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.errors import InvalidMedia, NotFound
from workbench.sources import importer, media
from workbench.store import Store

VTT = """WEBVTT

00:00:00.000 --> 00:00:01.500
<v Interviewer>How did the flood change your street?

00:00:02.000 --> 00:00:03.000
<v Maureen>We started a WhatsApp group for the whole row.
"""


def sox_wav(path: Path, seconds: float = 3.0) -> Path:
    """A real small WAV made by Debian's sox (the test skips without it)."""
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (scripts/install-system-deps.sh)")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", str(seconds), "sine",
                    "440"], check=True)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def interview(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "interview.vtt").write_text(VTT, encoding="utf-8")
    sox_wav(folder / "interview.wav")
    return folder


def media_files(store: Store) -> list[str]:
    return sorted(p.name for p in store.media_dir.iterdir()) if store.media_dir.exists() else []


def test_folder_import_attaches_the_recording_with_the_same_stem(store: Store, interview: Path) -> None:
    before = sha(interview / "interview.wav")
    report = importer.ingest_paths(store, [interview], actor="ana")
    [(source_id, name)] = report.added
    assert name == "interview.vtt" and not report.skipped
    recording = store.recording(source_id)
    assert recording is not None and recording.kind == "audio" and recording.format == "wav"
    assert recording.original_name == "interview.wav" and recording.sha256 == before
    assert recording.file == f"{before}.wav" and media_files(store) == [recording.file]
    assert sha(store.media_dir / recording.file) == before == sha(interview / "interview.wav")  # never altered
    assert store.media_dir == store.path.with_name("project.wbproj.media")
    assert media.playable(store, source_id) == recording
    assert report.recordings == [("interview.vtt", "interview.wav")]
    events = [e for e in store.events() if e.action == "source.recording"]
    assert len(events) == 1 and events[0].payload["sha256"] == before


def test_named_files_pair_and_a_lone_recording_is_skipped_with_its_reason(store: Store, interview: Path) -> None:
    lone = sox_wav(interview / "lonely.wav", 0.5)
    report = importer.ingest_paths(store, [interview / "interview.vtt", interview / "interview.wav", lone],
                                   actor="ana")
    [(source_id, _)] = report.added
    assert store.recording(source_id) is not None
    [skipped] = report.skipped
    assert skipped.path == str(lone) and "lonely.vtt" in skipped.reason and "no transcript" in skipped.reason


def test_reimport_attaches_a_recording_to_a_transcript_already_there(store: Store, interview: Path) -> None:
    importer.ingest_paths(store, [interview / "interview.vtt"], actor="ana")
    source = store.source_by_name("interview.vtt")
    assert store.recording(source.id) is None
    report = importer.ingest_paths(store, [interview], actor="ana")
    assert not report.added and store.recording(source.id) is not None
    assert report.recordings == [("interview.vtt", "interview.wav")]
    again = importer.ingest_paths(store, [interview], actor="ana")
    assert not again.recordings and not again.skipped and len(store.recordings()) == 1


@pytest.mark.parametrize("name, data, problem", [
    ("interview.wav", b"Interviewer: this is text, not sound\n", "RIFF/WAVE"),
    ("interview.wav", None, "announces"),  # a real WAV cut short
    ("interview.mp3", b"\x00\x00\x00 not an mp3", "ID3"),
    ("interview.webm", b"", "empty"),
])
def test_a_damaged_recording_is_refused_by_name_and_nothing_is_stored(store: Store, interview: Path, name: str,
                                                                    data: bytes | None, problem: str) -> None:
    (interview / "interview.wav").unlink()
    bad = interview / name
    if data is None:
        whole = sox_wav(interview / "whole.wav").read_bytes()
        (interview / "whole.wav").unlink()
        data = whole[:len(whole) // 2]
    bad.write_bytes(data)
    report = importer.ingest_paths(store, [interview], actor="ana")
    [(source_id, _)] = report.added  # the transcript itself is fine
    [skipped] = report.skipped
    assert skipped.path == str(bad) and problem in skipped.reason
    assert store.recording(source_id) is None and media_files(store) == []
    with pytest.raises(InvalidMedia, match=problem):
        media.attach_recording(store, source_id, bad, "ana")
    assert store.recording(source_id) is None and media_files(store) == []


def test_a_recording_whose_transcript_cannot_be_read_is_skipped_with_it(store: Store, interview: Path) -> None:
    (interview / "interview.vtt").write_text("WEBVTT\n\nnot a cue at all\n", encoding="utf-8")
    report = importer.ingest_paths(store, [interview], actor="ana")
    assert not report.added and store.recordings() == [] and media_files(store) == []
    assert [s.reason for s in report.skipped if s.path.endswith("interview.wav")] == [
        "its transcript interview.vtt was not imported"]


def test_unknown_media_type_is_refused(store: Store, interview: Path) -> None:
    importer.ingest_paths(store, [interview / "interview.vtt"], actor="ana")
    source = store.source_by_name("interview.vtt")
    flac = interview / "interview.flac"
    flac.write_bytes(b"fLaC\x00")
    with pytest.raises(InvalidMedia, match=r"interview\.flac: not a recording we can play"):
        media.attach_recording(store, source.id, flac, "ana")
    with pytest.raises(NotFound):
        media.attach_recording(store, 999, interview / "interview.wav", "ana")
    assert media_files(store) == []


def test_missing_or_changed_file_later_is_named(store: Store, interview: Path) -> None:
    importer.ingest_paths(store, [interview], actor="ana")
    recording = store.recording(store.source_by_name("interview.vtt").id)
    stored = store.media_dir / recording.file
    assert media.verified_path(store, recording) == stored
    stored.write_bytes(stored.read_bytes()[:-2] + b"\x01\x02")
    with pytest.raises(InvalidMedia, match="changed after it was attached"):
        media.verified_path(store, recording)
    stored.unlink()
    with pytest.raises(InvalidMedia, match=r"interview\.wav\) is missing from the project's media folder"):
        media.recording_path(store, recording)


def test_attach_later_replaces_and_a_source_without_times_has_no_player(store: Store, tmp_path: Path,
                                                                          interview: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("Field note: the community hall opened at nine.\n", encoding="utf-8")
    importer.ingest_paths(store, [plain], actor="ana")
    notes = store.source_by_name("notes.txt")
    recording = media.attach_recording(store, notes.id, interview / "interview.wav", "ana")
    assert store.recording(notes.id) == recording
    assert media.playable(store, notes.id) is None  # no times: no player
    other = media.attach_recording(store, notes.id, sox_wav(tmp_path / "second.wav", 1), "ana")
    assert other.uid == recording.uid and other.original_name == "second.wav"
    assert len(store.recordings()) == 1 and len(media_files(store)) == 2  # the first copy is never altered
    store.delete_source(notes.id, "ana")
    assert store.recordings() == []


def test_cli_sources_attach(tmp_path: Path, interview: Path) -> None:
    project = tmp_path / "cli.wbproj"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    assert runner.invoke(cli, ["ingest", str(interview / "interview.vtt"), "--project", str(project)]).exit_code == 0
    result = runner.invoke(cli, ["sources", "attach", "interview.vtt", str(interview / "interview.wav"),
                                 "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert "Attached interview.wav (audio, WAV" in result.output and "to interview.vtt" in result.output
    listing = runner.invoke(cli, ["sources", "--project", str(project)])
    assert listing.exit_code == 0 and "interview" in listing.output and "1 sources" in listing.output
    assert "recording interview.wav" in listing.output
    bad = interview / "bad.mp3"
    bad.write_bytes(b"nope")
    failed = runner.invoke(cli, ["sources", "attach", "interview.vtt", str(bad), "--project", str(project)])
    assert failed.exit_code == 1 and "bad.mp3" in failed.output and "Traceback" not in failed.output
    missing = runner.invoke(cli, ["sources", "attach", "nobody", str(interview / "interview.wav"),
                                  "--project", str(project)])
    assert missing.exit_code == 1 and "no source called 'nobody'" in missing.output


def test_check_names_a_recording_gone_or_changed(store: Store, interview: Path) -> None:
    importer.ingest_paths(store, [interview], actor="ana")
    recording = store.recordings()[0]
    assert store.check() == []
    stored = store.media_dir / recording.file
    stored.write_bytes(stored.read_bytes() + b"\x00")
    [changed] = store.check()
    assert changed.kind == "recording" and "interview.wav" in changed.message and "changed" in changed.message
    stored.unlink()
    [missing] = store.check()
    assert missing.kind == "recording" and f"{recording.file}) is missing" in missing.message


def test_a_backup_carries_the_recordings_and_opens_on_its_own(store: Store, interview: Path, tmp_path: Path) -> None:
    """`workbench backup` copies the recordings beside the backup, so the backup's player and checks work."""
    importer.ingest_paths(store, [interview], actor="ana")
    recording = store.recordings()[0]
    out = tmp_path / "saved" / "copy.wbproj"
    runner = CliRunner()
    result = runner.invoke(cli, ["backup", "--out", str(out), "--project", str(store.path)])
    assert result.exit_code == 0, result.output
    assert "1 recording" in result.output
    copy = Store.open(out)
    assert sha(copy.media_dir / recording.file) == sha(store.media_dir / recording.file)
    assert copy.check() == []
    again = runner.invoke(cli, ["backup", "--out", str(out), "--project", str(store.path)])
    assert again.exit_code == 0 and "recording" not in again.output  # already there: not copied twice
