"""Ingest: files → loaders → sentences → the store, one transaction per source."""
from __future__ import annotations

import csv
import hashlib
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ingest
from ingest import IngestError, LoadedSource
from ingest.records import SOURCE_KINDS

from workbench.errors import Conflict, InvalidMedia
from workbench.model import Role
from workbench.sources import media
from workbench.sources.sentences import sentencizer, split_sentences
from workbench.store import NewSegment, NewSource, Store

ProgressCallback = Callable[[int, int, str], None]

# Sidecar keys that describe one document rather than the person: kept on the source only.
SOURCE_ONLY_KEYS = frozenset({"participant", "method", "wave", "date", "file"})
SIDECAR_FIRST_COLUMNS = frozenset({"file", "filename", "file_name", "source"})


@dataclass
class Skipped:
    """A file that was not imported, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest run did."""

    added: list[tuple[int, str]] = field(default_factory=list)  # (source id, name)
    skipped: list[Skipped] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # files already in the project
    segments: int = 0
    sentences: int = 0
    sidecars: list[str] = field(default_factory=list)
    recordings: list[tuple[str, str]] = field(default_factory=list)  # (source name, recording file name)


def content_hash(text: str) -> str:
    """The identity of a source's text (SHA-256 of its UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_sidecar(path: Path) -> bool:
    """True when a CSV's first column is a file name column, i.e. it holds attributes, not data."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError):
        return False
    return bool(header) and header[0].strip().lower() in SIDECAR_FIRST_COLUMNS


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """Expand folders (recursively, skipping hidden files) into data files, attribute sidecars and
    files of a type no loader reads (named files are always tried, so their loader can say why)."""
    named: list[Path] = []
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            named.append(path)
    sidecars = [p for p in named + found if is_sidecar(p)]
    unsupported = [p for p in found if p.suffix.lower() not in ingest.SUPPORTED_EXTENSIONS]
    data = [p for p in named + found if p not in sidecars and p not in unsupported]
    return data, sidecars, unsupported


def to_new_source(loaded: LoadedSource, path: Path, attributes: dict[str, str]) -> NewSource:
    """Add sentences and sidecar attributes to what a loader read."""
    spans = [(s.start, s.end) for s in loaded.segments] or [(0, len(loaded.text))]
    segments = loaded.segments or [ingest.LoadedSegment(0, len(loaded.text), "paragraph")]
    sentences = split_sentences(loaded.text, spans)
    participant = attributes.get("participant") or loaded.case
    case_attributes = dict(loaded.case_attributes)
    if participant:
        person = {k: v for k, v in attributes.items() if k not in SOURCE_ONLY_KEYS}
        case_attributes[participant] = {**person, **case_attributes.get(participant, {})}
    return NewSource(
        name=loaded.name, kind=loaded.kind, text=loaded.text, content_hash=content_hash(loaded.text),
        format=loaded.format, encoding=loaded.encoding, imported_from=str(path), metadata=dict(loaded.metadata),
        case=participant, attributes=dict(attributes), case_attributes=case_attributes,
        segments=[NewSegment(start=s.start, end=s.end, kind=s.kind, speaker=s.speaker, start_time=s.start_time,
                             end_time=s.end_time, entry_date=s.entry_date, case=s.case, label=s.label,
                             sentences=sents) for s, sents in zip(segments, sentences)],
    )


def sidecar_kind(attributes: dict[str, str]) -> str | None:
    """The source kind a sidecar row names in its ``kind`` or ``method`` column, if it is one we know."""
    for key in ("kind", "method"):
        value = attributes.get(key, "").strip().lower()
        if value in SOURCE_KINDS:
            return value
    return None


def load_sidecars(sidecars: Iterable[Path]) -> dict[str, dict[str, str]]:
    """File name → attributes from every sidecar (later files win on the same name)."""
    merged: dict[str, dict[str, str]] = {}
    for sidecar in sidecars:
        for name, values in ingest.load_attributes(sidecar).items():
            merged.setdefault(name, {}).update(values)
    return merged


PARALLEL_MIN_FILES = 8  # below this, starting a reader process costs more than it saves


def ingest_paths(store: Store, paths: Iterable[str | Path], *, actor: str, kind: str | None = None,
                 attributes_csv: str | Path | None = None, parallel: bool | None = None,
                 on_progress: ProgressCallback | None = None) -> IngestReport:
    """Import files and folders into the project; a bad file is reported and skipped, the rest land.

    With many files, a second process reads and splits sentences while this one stores the
    previous file, each source in its own transaction. In team mode only a lead imports (refused before
    any file is read).
    """
    store.require(Role.LEAD, "import sources")
    files, sidecars, unsupported = collect_files(paths)
    recordings = [p for p in files + unsupported if media.is_media(p)]  # paired with a transcript below
    files = [p for p in files if p not in recordings]
    unsupported = [p for p in unsupported if p not in recordings]
    partners = _partners(files, list(recordings))
    if attributes_csv:
        sidecars.append(Path(attributes_csv))
    report = IngestReport(sidecars=[str(p) for p in sidecars],
                          skipped=[Skipped(str(p), f"no loader reads {p.suffix or 'files without an extension'}")
                                   for p in unsupported])
    attributes = load_sidecars(sidecars)
    jobs = [(path, kind or sidecar_kind(attributes.get(path.name, {})), attributes.get(path.name, {}))
            for path in files]
    if parallel is None:
        # fork is only safe with no other threads (the CLI, not the app); spawn would cost seconds
        parallel = len(files) >= PARALLEL_MIN_FILES and threading.active_count() == 1
    results = _read_in_process(jobs) if parallel else map(_read_job, jobs)
    for done, (path, (skipped, sources)) in enumerate(zip(files, results)):
        if on_progress:
            on_progress(done, len(files), path.name)
        if skipped:
            report.skipped.append(Skipped(str(path), skipped))
        stored = [_store(store, path, new, actor, report) for new in sources]
        recording = partners.get(path)
        if recording and len(stored) == 1 and stored[0] is not None:
            _attach(store, stored[0], recording, actor, report)
        elif recording:
            report.skipped.append(Skipped(str(recording), f"its transcript {path.name} was not imported"))
    paired = set(partners.values())
    report.skipped += [Skipped(str(p), f"a recording with no transcript of the same name beside it (e.g. "
                                       f"{p.stem}.vtt): import them together, or attach it to its source later")
                       for p in recordings if p not in paired]
    if on_progress:
        on_progress(len(files), len(files), "")
    return report


def _read_job(job: tuple[Path, str | None, dict[str, str]]) -> tuple[str | None, list[NewSource]]:
    """Load one file and split its sentences: (reason it was skipped, or None; sources)."""
    path, kind, attributes = job
    try:
        loaded_sources = ingest.load_path(path, kind=kind)
    except IngestError as exc:
        return exc.reason, []
    except (OSError, MemoryError) as exc:
        return f"could not be read: {exc}", []
    return None, [to_new_source(loaded, path, attributes) for loaded in loaded_sources]


def _read_in_process(jobs: list) -> Iterator[tuple[str | None, list[NewSource]]]:
    """Results of ``_read_job`` in order, computed a few files ahead by one reader process."""
    sentencizer()  # load spaCy once here, so the forked reader inherits it
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        pending = [pool.submit(_read_job, job) for job in jobs[:READ_AHEAD]]
        for i in range(len(jobs)):
            if i + READ_AHEAD < len(jobs):
                pending.append(pool.submit(_read_job, jobs[i + READ_AHEAD]))
            yield pending[i].result()
            pending[i] = None  # type: ignore[call-overload]  # free the result once stored


READ_AHEAD = 6


def _exit_with_parent(parent: int) -> None:
    """In the reader process: end when the importing process is gone (killed), instead of waiting forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _store(store: Store, path: Path, new: NewSource, actor: str, report: IngestReport) -> int | None:
    """Store one source; its id (also when it was already there), or None when it could not be stored."""
    same = store.find_same_source(new.name, new.content_hash)
    if same is not None:
        report.unchanged.append(f"{path} (already imported: the same name and text)")
        return int(same)
    try:
        source_id = store.add_source(new, actor)
    except Conflict as exc:
        report.unchanged.append(f"{path} ({exc})")
        return None
    report.added.append((source_id, new.name))
    report.segments += len(new.segments)
    report.sentences += sum(len(s.sentences) for s in new.segments)
    return source_id


def _partners(files: list[Path], recordings: list[Path]) -> dict[Path, Path]:
    """Transcript → the recording beside it with the same stem (interview.vtt + interview.wav)."""
    by_stem = {(p.parent, p.stem.casefold()): p for p in recordings}
    return {f: by_stem[(f.parent, f.stem.casefold())] for f in files if (f.parent, f.stem.casefold()) in by_stem}


def _attach(store: Store, source_id: int, recording: Path, actor: str, report: IngestReport) -> None:
    """Attach a transcript's recording, unless the source already has this very file; a bad file is skipped."""
    current = store.recording(source_id)
    if current is not None and current.original_name == recording.name:
        return  # imported again with the same recording
    try:
        media.attach_recording(store, source_id, recording, actor)
    except (InvalidMedia, OSError) as exc:
        report.skipped.append(Skipped(str(recording), str(exc).removeprefix(f"{recording}: ")))
        return
    report.recordings.append((store.get_source(source_id).name, recording.name))
