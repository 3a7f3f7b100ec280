"""workbench/refi/safezip.py: reading ZIP archives from strangers without trusting them."""
from __future__ import annotations

import io
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from workbench.errors import WorkbenchError
from workbench.export.refi.safezip import ArchiveError, SafeZip, ZipLimits, safe_member_name


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive in memory holding ``entries`` exactly as named (no sanitising)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which some tests want
        with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
            for name, data in entries.items() if isinstance(entries, dict) else entries:
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def write(tmp_path: Path, data: bytes, name: str = "archive.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("name", "expected"), [
    ("project.qde", "project.qde"),
    ("sources/a.txt", "sources/a.txt"),
    ("./sources//a.txt", "sources/a.txt"),
    ("Sources\\a.txt", "Sources/a.txt"),
    ("../evil.txt", None),
    ("sources/../../evil.txt", None),
    ("sources\\..\\..\\evil.txt", None),
    ("/etc/passwd", None),
    ("\\\\server\\share\\x", None),
    ("C:\\Windows\\x.txt", None),
    ("c:relative.txt", None),
    ("a\x00b", None),
])
def test_member_names_that_escape_the_folder_are_refused(name: str, expected: str | None) -> None:
    assert safe_member_name(name) == expected


@pytest.mark.parametrize("hostile", ["../evil.txt", "sources/../../evil.txt", "/tmp/evil.txt", "C:/evil.txt",
                                     "..\\evil.txt"])
def test_an_archive_with_an_escaping_entry_is_refused_whole(tmp_path: Path, hostile: str) -> None:
    path = write(tmp_path, make_zip({"project.qde": b"<Project/>", hostile: b"owned"}))
    with pytest.raises(ArchiveError) as caught:
        SafeZip(path)
    assert repr(hostile) in str(caught.value) and "outside" in caught.value.reason
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 40])
def test_not_a_zip_is_refused_with_a_named_error(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, data, "broken.qdpx")
    with pytest.raises(ArchiveError, match="broken.qdpx: not a ZIP archive"):
        SafeZip(path)


def test_a_truncated_zip_is_refused(tmp_path: Path) -> None:
    whole = make_zip({"project.qde": b"<Project/>" * 1000, "sources/a.txt": b"words " * 5000})
    for cut in (len(whole) // 2, len(whole) - 10):
        path = write(tmp_path, whole[:cut], f"cut{cut}.qdpx")
        with pytest.raises(ArchiveError):
            with SafeZip(path) as archive:
                for name in archive.names():
                    archive.read(name)


def test_a_damaged_member_is_refused_when_read(tmp_path: Path) -> None:
    text = b"a text that will be damaged " * 200
    data = bytearray(make_zip({"a.txt": text}, compression=zipfile.ZIP_STORED))
    at = bytes(data).index(b"damaged")
    data[at:at + 7] = b"DAMAGED"  # the stored bytes no longer match the CRC in the headers
    with SafeZip(write(tmp_path, bytes(data))) as archive:
        with pytest.raises(ArchiveError, match="damaged"):
            archive.read("a.txt")


def test_reading_and_case_insensitive_lookup(tmp_path: Path) -> None:
    path = write(tmp_path, make_zip({"project.qde": b"<Project/>", "Sources/A.txt": "héllo".encode()}))
    with SafeZip(path) as archive:
        assert sorted(archive.names()) == ["Sources/A.txt", "project.qde"]
        assert archive.find("sources/a.txt") == "Sources/A.txt"
        assert archive.find("Sources/A.txt") == "Sources/A.txt"
        assert archive.find("sources/b.txt") is None
        assert archive.find("../project.qde") is None
        assert archive.read("Sources/A.txt").decode() == "héllo"
        with pytest.raises(KeyError):
            archive.read("sources/a.txt")  # read takes the member's own name, as find returns it


def test_an_ambiguous_lookup_is_refused_but_an_exact_one_works(tmp_path: Path) -> None:
    path = write(tmp_path, make_zip({"sources/a.txt": b"one", "Sources/a.txt": b"two"}))
    with SafeZip(path) as archive:
        assert archive.read(archive.find("Sources/a.txt") or "") == b"two"
        with pytest.raises(ArchiveError, match="several entries"):
            archive.find("SOURCES/A.TXT")


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, make_zip([("a.txt", b"one"), ("a.txt", b"two")]))  # type: ignore[arg-type]
    with pytest.raises(ArchiveError, match="appears twice"):
        SafeZip(path)


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, make_zip({f"sources/{i}.txt": b"x" for i in range(6)}))
    with pytest.raises(ArchiveError, match="6 entries"):
        SafeZip(path, limits=ZipLimits(max_entries=5))
    with SafeZip(path, limits=ZipLimits(max_entries=6)) as archive:
        assert len(archive.names()) == 6


def test_a_compression_bomb_is_stopped_while_streaming(tmp_path: Path) -> None:
    path = write(tmp_path, make_zip({"sources/bomb.txt": b"\0" * (8 * 1024 * 1024)}))
    with SafeZip(path) as archive:  # default limits: the 8 MB entry is allowed by size, not by ratio
        with pytest.raises(ArchiveError, match="expands more than 200 times"):
            archive.read("sources/bomb.txt")


def test_a_normal_compressible_text_is_read(tmp_path: Path) -> None:
    text = "".join(f"Line {i}: the garden keeps me sane, says participant {i % 17}.\n" for i in range(40_000))
    path = write(tmp_path, make_zip({"sources/a.txt": text.encode()}))
    with SafeZip(path) as archive:
        assert archive.read("sources/a.txt").decode() == text


@pytest.mark.parametrize(("limits", "message"), [
    (ZipLimits(max_entry_bytes=1000), "declares 2,000 bytes"),
    (ZipLimits(max_total_bytes=3000), "whole archive"),
])
def test_size_limits(tmp_path: Path, limits: ZipLimits, message: str) -> None:
    path = write(tmp_path, make_zip({"a.txt": b"a" * 2000, "b.txt": b"b" * 2000}))
    with SafeZip(path, limits=limits) as archive:
        with pytest.raises(ArchiveError, match=message):
            archive.read("a.txt")
            archive.read("b.txt")


def _patch_sizes(data: bytes, size: int) -> bytes:
    """Make every header of a one-entry stored archive declare ``size`` uncompressed bytes."""
    patched = bytearray(data)
    local = patched.index(b"PK\x03\x04")
    struct.pack_into("<I", patched, local + 22, size)
    central = patched.index(b"PK\x01\x02")
    struct.pack_into("<I", patched, central + 24, size)
    return bytes(patched)


def test_headers_that_understate_the_size_are_not_trusted(tmp_path: Path) -> None:
    data = make_zip({"a.txt": b"x" * 5000}, compression=zipfile.ZIP_STORED)
    path = write(tmp_path, _patch_sizes(data, 10))
    with SafeZip(path, limits=ZipLimits(max_entry_bytes=100)) as archive:
        with pytest.raises(ArchiveError):
            archive.read("a.txt")


def test_headers_that_overstate_the_size_are_refused_before_reading(tmp_path: Path) -> None:
    data = make_zip({"a.txt": b"x" * 50}, compression=zipfile.ZIP_STORED)
    path = write(tmp_path, _patch_sizes(data, 3_000_000_000))
    with SafeZip(path) as archive:
        with pytest.raises(ArchiveError, match="declares 3,000,000,000 bytes"):
            archive.read("a.txt")


def test_encrypted_entries_are_refused(tmp_path: Path) -> None:
    patched = bytearray(make_zip({"a.txt": b"secret"}, compression=zipfile.ZIP_STORED))
    central = patched.index(b"PK\x01\x02")
    struct.pack_into("<H", patched, central + 8, 1)  # general purpose flag bit 0: encrypted
    with SafeZip(write(tmp_path, bytes(patched))) as archive:
        with pytest.raises(ArchiveError, match="encrypted"):
            archive.read("a.txt")


def test_archive_errors_are_workbench_errors_and_files_can_be_in_memory() -> None:
    with SafeZip(io.BytesIO(make_zip({"a.txt": b"x"})), label="inner.docx") as archive:
        assert archive.read("a.txt") == b"x"
    with pytest.raises(WorkbenchError, match="^inner.docx: not a ZIP"):
        SafeZip(io.BytesIO(b"nope"), label="inner.docx")
