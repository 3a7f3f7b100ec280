"""Regenerate the small test PDFs in this folder (run: python make_pdfs.py).

A minimal hand-written PDF writer: one Helvetica text block per page, no compression, so the
files are readable and have a real text layer. ``scanned.pdf`` has only a drawn rectangle
(no text layer); ``encrypted.pdf`` is ``garden_report.pdf`` with the user password "secret".
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

REPORT_PAGES = [
    [
        "Millbrook Community Garden - Annual Report 2024",
        "",
        "The garden grew from six raised beds to fourteen this year.",
        "Forty-two households took home produce at least once.",
    ],
    [
        "Volunteering",
        "",
        "Saturday sessions averaged nine volunteers (highest in July).",
        "Two new members now run the composting rota.",
    ],
]


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_stream(lines: list[str]) -> bytes:
    """A content stream that writes each line 16 points below the previous one."""
    ops = ["BT", "/F1 12 Tf", "72 740 Td", "16 TL"]
    for line in lines:
        ops.append(f"({_escape(line)}) Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def pdf_bytes(streams: list[bytes]) -> bytes:
    """A complete PDF with one page per content stream."""
    page_ids = [4 + 2 * i for i in range(len(streams))]
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % p for p in page_ids)
        + b"] /Count %d >>" % len(streams),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for page_id, stream in zip(page_ids, streams):
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    count = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % count
    for number in range(1, count):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref)
    return bytes(out)


def main() -> None:
    """Write garden_report.pdf, scanned.pdf and encrypted.pdf next to this script."""
    (HERE / "garden_report.pdf").write_bytes(pdf_bytes([text_stream(p) for p in REPORT_PAGES]))
    (HERE / "scanned.pdf").write_bytes(pdf_bytes([b"0.5 g 72 72 468 648 re f"]))
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(HERE / "garden_report.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with open(HERE / "encrypted.pdf", "wb") as handle:
        writer.write(handle)


if __name__ == "__main__":
    main()
