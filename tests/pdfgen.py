"""A tiny PDF writer for test pages: lines of text in Helvetica (WinAnsi, so æøå work), one page per list.

Enough to make the PDFs municipal sites publish (fee schedules, opening-hours notices) for the extractor's
tests and corpus, without a PDF library. Run as a script to rebuild the corpus PDFs from their `.pdfsrc`
sources: `python tests/pdfgen.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_bytes(pages: list[list[str]]) -> bytes:
    """A PDF with one page per list of lines (A4, 11 pt, top-down)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, lines in enumerate(pages):
        content = b"BT /F1 11 Tf 14 TL 56 790 Td\n" + b"".join(
            b"(" + _escape(x) + b") Tj T*\n" for x in lines
        )
        content += b"ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_pdf(path: Path, text: str) -> None:
    """Write `text` as a PDF; a form feed (\\f) starts a new page."""
    pages = [page.split("\n") for page in text.split("\f")]
    path.write_bytes(pdf_bytes(pages))


if __name__ == "__main__":
    corpus = Path(__file__).resolve().parent / "data" / "web_corpus"
    for src in sorted(corpus.glob("*.pdfsrc")):
        write_pdf(src.with_suffix(".pdf"), src.read_text(encoding="utf-8"))
        print(f"wrote {src.with_suffix('.pdf').name}", file=sys.stderr)
