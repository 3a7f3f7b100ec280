"""Reading ZIP archives from strangers (.qdpx projects, the .docx files inside them) safely.

Nothing is ever extracted to disk: members are looked up by name and read into memory. Opening
an archive refuses entries whose names would escape a folder (``../x``, ``/etc/x``, ``C:\\x``),
encrypted entries and archives with too many entries. Reading a member streams it in chunks and
stops as soon as it passes the per-entry size, the total size or the compression-ratio limit;
the sizes the archive's headers declare are checked first but never trusted on their own.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workbench.errors import WorkbenchError

CHUNK_BYTES = 64 * 1024
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class ArchiveError(WorkbenchError):
    """A ZIP archive is not a ZIP, is damaged, or looks hostile; the message names the file and why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class ZipLimits:
    """How much an archive may hold and expand to before it is refused."""

    max_entries: int = 20_000
    max_entry_bytes: int = 512 * 1024 * 1024  # uncompressed size of any one member that is read
    max_total_bytes: int = 1024 * 1024 * 1024  # uncompressed bytes read from the archive in all
    max_ratio: float = 200.0  # uncompressed / compressed size of a member ...
    ratio_floor_bytes: int = 1024 * 1024  # ... checked once the member has expanded past this


def safe_member_name(name: str) -> str | None:
    """The member's path with ``/`` separators, or None when it is absolute or climbs out (``..``)."""
    if "\x00" in name:
        return None
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE_RE.match(posix):
        return None
    parts = [part for part in posix.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    return "/".join(parts)


class SafeZip:
    """A read-only view of a ZIP archive that enforces ZipLimits; use it as a context manager."""

    def __init__(self, file: str | Path | IO[bytes], *, label: str | None = None,
                 limits: ZipLimits | None = None) -> None:
        self.label = label or (str(file) if isinstance(file, (str, Path)) else "archive")
        self.limits = limits or ZipLimits()
        self._read_total = 0
        try:
            self._zip = zipfile.ZipFile(file)
            infos = self._zip.infolist()
        except zipfile.BadZipFile as exc:
            raise ArchiveError(self.label, f"not a ZIP archive, or a truncated or damaged one ({exc})") from exc
        except OSError as exc:
            raise ArchiveError(self.label, f"cannot be read ({exc.strerror or exc})") from exc
        except (zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise ArchiveError(self.label, f"cannot be read as a ZIP archive ({exc})") from exc
        self._members = self._check_members(infos)

    def _check_members(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        if len(infos) > self.limits.max_entries:
            self.close()
            raise ArchiveError(self.label, f"holds {len(infos):,} entries, more than the {self.limits.max_entries:,} "
                                           "allowed; refused as a possible zip bomb")
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = safe_member_name(info.filename)
            if name is None:
                self.close()
                raise ArchiveError(self.label, f"the entry {info.filename!r} points outside the archive's folder "
                                               "(absolute path or '..'); refused as unsafe")
            if info.is_dir() or not name:
                continue
            if name in members:
                self.close()
                raise ArchiveError(self.label, f"the entry {name!r} appears twice; refused as ambiguous")
            members[name] = info
        return members

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying archive."""
        self._zip.close()

    def names(self) -> list[str]:
        """The normalised names of the files in the archive (folders left out)."""
        return list(self._members)

    def find(self, name: str) -> str | None:
        """The member called ``name``, matched exactly or else ignoring case (``Sources/`` = ``sources/``)."""
        wanted = safe_member_name(name)
        if wanted is None:
            return None
        if wanted in self._members:
            return wanted
        matches = [m for m in self._members if m.casefold() == wanted.casefold()]
        if len(matches) > 1:
            raise ArchiveError(self.label, f"several entries match {name!r} when case is ignored: "
                                           f"{', '.join(sorted(matches))}")
        return matches[0] if matches else None

    def read(self, name: str) -> bytes:
        """The bytes of one member, read in chunks and refused as soon as a limit is passed."""
        info = self._members.get(name)
        if info is None:
            raise KeyError(name)
        if info.flag_bits & 0x1:
            raise ArchiveError(self.label, f"the entry {name!r} is encrypted; it cannot be read")
        self._check_declared(name, info)
        buffer = io.BytesIO()
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(CHUNK_BYTES):
                    buffer.write(chunk)
                    self._check_progress(name, info, buffer.tell(), len(chunk))
        except zipfile.BadZipFile as exc:
            raise ArchiveError(self.label, f"the entry {name!r} is damaged ({exc})") from exc
        except (zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise ArchiveError(self.label, f"the entry {name!r} cannot be decompressed ({exc})") from exc
        return buffer.getvalue()

    def _check_declared(self, name: str, info: zipfile.ZipInfo) -> None:
        limits = self.limits
        if info.file_size > limits.max_entry_bytes:
            raise ArchiveError(self.label, f"the entry {name!r} declares {info.file_size:,} bytes, more than the "
                                           f"{limits.max_entry_bytes:,} allowed; refused as a possible zip bomb")
        if self._read_total + info.file_size > limits.max_total_bytes:
            raise ArchiveError(self.label, f"reading {name!r} would pass the limit of {limits.max_total_bytes:,} "
                                           "bytes for the whole archive; refused as a possible zip bomb")

    def _check_progress(self, name: str, info: zipfile.ZipInfo, size: int, chunk: int) -> None:
        limits = self.limits
        self._read_total += chunk
        if size > limits.max_entry_bytes:
            raise ArchiveError(self.label, f"the entry {name!r} expands past {limits.max_entry_bytes:,} bytes; "
                                           "refused as a possible zip bomb")
        if self._read_total > limits.max_total_bytes:
            raise ArchiveError(self.label, f"the archive expands past {limits.max_total_bytes:,} bytes in all; "
                                           "refused as a possible zip bomb")
        ratio = size / max(info.compress_size, 1)
        if size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise ArchiveError(self.label, f"the entry {name!r} expands more than {limits.max_ratio:.0f} times its "
                                           "compressed size; refused as a possible zip bomb")
