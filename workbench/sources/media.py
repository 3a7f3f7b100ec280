"""Recordings: a source's audio or video, checked, copied into ``<project>.media/`` and never altered.

A file is recognised by its extension and checked by its first bytes (a WAV that is not RIFF/WAVE, or
shorter than its header says, is refused). The copy is named by its SHA-256, written to a temporary
name and renamed into place, so a failure leaves no half-written file and no record.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from workbench.errors import InvalidMedia, NotFound
from workbench.model import Recording, Role
from workbench.store import Store

# extension -> (kind, format, MIME type the browser is told)
MEDIA_TYPES: dict[str, tuple[str, str, str]] = {
    ".wav": ("audio", "wav", "audio/wav"),
    ".mp3": ("audio", "mp3", "audio/mpeg"),
    ".m4a": ("audio", "m4a", "audio/mp4"),
    ".ogg": ("audio", "ogg", "audio/ogg"),
    ".mp4": ("video", "mp4", "video/mp4"),
    ".webm": ("video", "webm", "video/webm"),
}
MEDIA_EXTENSIONS = tuple(MEDIA_TYPES)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class MediaType:
    """What a media file is: audio or video, its format and MIME type."""

    kind: str
    format: str
    mime: str


def is_media(path: str | Path) -> bool:
    """True when the file's extension is one of the recordings we play."""
    return Path(path).suffix.lower() in MEDIA_TYPES


def mime_type(recording: Recording) -> str:
    """The MIME type the browser is told for a stored recording."""
    return MEDIA_TYPES.get(f".{recording.format}", ("", "", "application/octet-stream"))[2]


def sniff(path: str | Path) -> MediaType:
    """The type of a media file, checked by its first bytes; ``InvalidMedia`` naming the file otherwise."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise InvalidMedia(f"{path}: could not be read ({exc.strerror or exc})") from exc
    return _checked(str(path), head, size)


def _checked(name: str, head: bytes, size: int) -> MediaType:
    """The type that ``name``'s extension promises, if its first bytes (and size) agree."""
    known = MEDIA_TYPES.get(Path(name).suffix.lower())
    if known is None:
        raise InvalidMedia(f"{name}: not a recording we can play (use {', '.join(MEDIA_EXTENSIONS)})")
    problem = _header_problem(known[1], head, size)
    if problem:
        raise InvalidMedia(f"{name}: {problem}; the file is damaged or is not really {known[1].upper()}")
    return MediaType(*known)


def _header_problem(fmt: str, head: bytes, size: int) -> str | None:
    if not head:
        return "the file is empty"
    if fmt == "wav":
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return "it does not start with a RIFF/WAVE header"
        if int.from_bytes(head[4:8], "little") + 8 > size:
            return f"its header announces {int.from_bytes(head[4:8], 'little') + 8:,} bytes but it has {size:,}"
        return None
    if fmt == "mp3":
        frame_sync = len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
        return None if head[:3] == b"ID3" or frame_sync else "it starts with neither an ID3 tag nor an MP3 frame"
    if fmt in ("m4a", "mp4"):
        return None if head[4:8] == b"ftyp" else "it has no MP4 'ftyp' box at the start"
    if fmt == "ogg":
        return None if head[:4] == b"OggS" else "it does not start with an Ogg page ('OggS')"
    if fmt == "webm":
        return None if head[:4] == b"\x1a\x45\xdf\xa3" else "it does not start with a WebM (EBML) header"
    return None


def attach_recording(store: Store, source_id: int, path: str | Path, actor: str, *,
                     uid: str | None = None) -> Recording:
    """Check a media file, copy it into the project's media folder and make it the source's recording.

    The original is only read. Nothing is stored when the file is refused; a copy made for a record that
    then fails is removed again.
    """
    store.require(Role.LEAD, "attach recordings")
    store.get_source(source_id)  # NotFound before any copying
    path = Path(path)
    media = sniff(path)
    with path.open("rb") as handle:
        return _store_copy(store, source_id, handle, path.name, media, actor, uid)


def attach_recording_bytes(store: Store, source_id: int, handle: BinaryIO, name: str, actor: str, *,
                           uid: str | None = None) -> Recording:
    """Like ``attach_recording`` for a file that is not on disk (an upload, a member of a .qdpx archive)."""
    store.require(Role.LEAD, "attach recordings")
    store.get_source(source_id)
    head = handle.read(64)
    size = handle.seek(0, os.SEEK_END)
    handle.seek(0)
    return _store_copy(store, source_id, handle, name, _checked(name, head, size), actor, uid)


def _store_copy(store: Store, source_id: int, handle: BinaryIO, name: str, media: MediaType, actor: str,
                uid: str | None) -> Recording:
    folder = store.media_dir
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{uuid.uuid4().hex}.partial"  # several sessions may copy at once
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        target = folder / f"{sha}.{media.format}"
        created = not target.exists()
        if created:
            os.replace(partial, target)  # same content, same name: an existing copy is already right
    finally:
        partial.unlink(missing_ok=True)
    try:
        return store.set_recording(source_id, kind=media.kind, format=media.format, file=target.name,
                                   original_name=name, sha256=sha, size=size, actor=actor, uid=uid)
    except BaseException:
        if created and not any(r.file == target.name for r in store.recordings()):
            target.unlink(missing_ok=True)
        raise


def recording_path(store: Store, recording: Recording) -> Path:
    """Where a stored recording is; ``InvalidMedia`` when the file has gone from the media folder."""
    path = store.media_dir / recording.file
    if not path.is_file():
        raise InvalidMedia(f"{path}: the recording of source {recording.source_id} ({recording.original_name}) "
                           "is missing from the project's media folder; put it back or attach it again")
    return path


def verified_path(store: Store, recording: Recording) -> Path:
    """``recording_path``, also checking that the file is still the one attached (same SHA-256)."""
    path = recording_path(store, recording)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != recording.sha256:
        raise InvalidMedia(f"{path}: the recording of source {recording.source_id} ({recording.original_name}) "
                           "was changed after it was attached (its SHA-256 differs); attach it again")
    return path


def playable(store: Store, source_id: int) -> Recording | None:
    """The source's recording if the page should show a player: it has one and its turns have times."""
    try:
        recording = store.recording(source_id)
    except NotFound:
        return None
    if recording is None or not store.source_has_times(source_id):
        return None
    return recording

