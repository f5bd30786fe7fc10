"""A tiny PDF writer for the fee lists and schedules municipal sites publish as PDF.

Text in Helvetica with WinAnsi encoding (so æøå, – and « » survive), A4 pages, and table rows whose cells sit
at fixed x positions, so that `pypdf` (what the web extractor reads PDFs with) gets each row back as one line.
No PDF library is needed, and a fee list of one page costs a few microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

Cell = tuple[float, str]  # (x in points from the left margin, text)
Line = str | Sequence[Cell]  # a line of text, or a table row of positioned cells
_TOP, _LEFT, _LEADING, _PER_PAGE = 790, 56, 15, 48


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_content(lines: Sequence[Line], heading_lines: set[int]) -> bytes:
    out = [b"BT"]
    y = _TOP
    for i, line in enumerate(lines):
        font = b"/F2 13 Tf" if i in heading_lines else b"/F1 10 Tf"
        if isinstance(line, str):
            cells: Sequence[Cell] = [(0.0, line)] if line else []
        else:
            cells = line
        for x, text in cells:
            out.append(b"%s 1 0 0 1 %.1f %d Tm (%s) Tj" % (font, _LEFT + x, y, _escape(text)))
        y -= _LEADING + (6 if i in heading_lines else 0)
    out.append(b"ET")
    return b"\n".join(out)


def pdf_bytes(lines: Sequence[Line], *, title: str = "", headings: Sequence[int] = ()) -> bytes:
    """A PDF of `lines` (strings or rows of positioned cells), split into A4 pages; `headings` are the indexes
    of lines set in bold. `title` goes into the document information."""
    heads = set(headings)
    chunks = [list(range(i, min(i + _PER_PAGE, len(lines)))) for i in range(0, max(len(lines), 1), _PER_PAGE)]
    n = len(chunks)
    # objects: 1 catalog, 2 pages, 3 info, 4 font regular, 5 font bold, then (page, content) pairs
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (6 + 2 * i) for i in range(n))
        + b"] /Count %d >>" % n,
        b"<< /Title (" + _escape(title) + b") /Producer (kommunetest sandbox) >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    for i, idx in enumerate(chunks):
        page_lines = [lines[j] for j in idx]
        page_heads = {k for k, j in enumerate(idx) if j in heads}
        content = _page_content(page_lines, page_heads)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> >>" % (7 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
