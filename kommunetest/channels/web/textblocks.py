"""Plain text (and the text of PDFs) → blocks, guessing the structure HTML would have made explicit.

Headings: Markdown `#`, underlined lines, and short figure-free lines standing alone. Labels: the short first
line of a paragraph ("Servicetorget" above its hours) or a line ending in a colon. Tables: `|` or tab
separated rows, and the shape fee schedules take in PDFs: a header line of years ("Gebyr (kr) 2026 2027")
with one amount per year on each following line.
"""

from __future__ import annotations

import re

from kommunetest.channels.web.document import Block, clean
from kommunetest.channels.web.hours import find_day_specs

__all__ = ["is_title_like", "text_to_blocks"]

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_SETEXT = re.compile(r"^(=+|-+)$")
_BULLET = re.compile(r"^(?:[-*•·▪–]\s+|\d{1,2}[.)]\s+(?=[A-ZÆØÅ]))")
_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_YEAR = r"(?:19|20)\d\d"
_YEAR_HEADER = re.compile(rf"^(?P<label>\D*?)\s*(?P<years>{_YEAR}(?:\s+{_YEAR})+)\s*$")
_AMOUNT = r"(?:kr\.?\s*)?\d{1,3}(?:[ .]\d{3})*(?:,\d{1,2}|,-)?"
_FIGURE = re.compile(r"\d")
_YEARS = re.compile(r"\b(?:19|20)\d\d(?:\s*[-–/]\s*(?:19|20)?\d\d)?\b")


_SECTION_NO = re.compile(r"^(?:(?:kapittel|kap\.?|del|punkt|§)\s*)?\d+(?:\.\d+)*\.?\s+(?=[A-ZÆØÅ])", re.I)
_CONTENT_WORDS = re.compile(r"\b(?:stengt|stengd|lukket|lukka|gratis|ope|åpent)\b", re.I)


def is_title_like(line: str) -> bool:
    """Short, no figures (a leading section number aside), no sentence punctuation, no day names:
    a heading or a label, not content."""
    line = _SECTION_NO.sub("", line.strip())
    return (
        0 < len(line) <= 60
        and len(line.split()) <= 8
        and not _FIGURE.search(_YEARS.sub("", line))  # "Byggesaksgebyr 2027" is still a title
        and "@" not in line
        and not line.endswith((".", ",", ";", "!", "?"))
        and not re.search(r":\s*\S", line)  # "E-post: post (at) x.no" is a label with its value
        and not _CONTENT_WORDS.search(line)
        and not find_day_specs(line)
    )


def _split_cells(line: str) -> list[str] | None:
    if line.count("|") >= 1 and not line.startswith("http"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        return cells if len(cells) >= 2 else None
    if "\t" in line:
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        return cells if len(cells) >= 2 else None
    return None


def _is_header_row(cells: list[str]) -> bool:
    return all(not _FIGURE.search(c) or re.fullmatch(rf"\D*{_YEAR}\D*", c) for c in cells)


def _join_wrapped(lines: list[str]) -> list[str]:
    """Re-join prose that a PDF or an e-mail client wrapped: a long line running on in lower case."""
    out: list[str] = []
    for line in lines:
        if (
            out
            and len(out[-1]) > 50
            and not out[-1].endswith((".", ":", "!", "?"))
            and re.match(r"[a-zæøå0-9(]", line)
            and not _split_cells(line)
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


class _TextReader:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.stack: list[tuple[int, str]] = []

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.stack)

    def heading(self, level: int, text: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text.rstrip(":")))
        self.blocks.append(Block("heading", text, self.headings[:-1]))

    def paragraph(self, lines: list[str], first: bool) -> None:
        """A group of lines: title-like lines become headings (when another title or nothing follows)
        or labels of the lines below them (PDF text often has no blank lines to go by)."""
        label: str | None = None
        group: list[str] = []
        sub: str | None = None
        i = 0
        while i < len(lines):
            line = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            cells = _split_cells(line)
            header = _YEAR_HEADER.match(line)
            if cells or (header and nxt is not None):
                self.emit(group, label, sub)
                group = []
                i = self.table(lines, i) if cells else self.year_table(lines, i, header)  # type: ignore[arg-type]
                continue
            if is_title_like(line) and not line.endswith(":") and (nxt is None or is_title_like(nxt)):
                self.emit(group, label, sub)
                group, label, sub = [], None, None
                self.heading(1 if first and not self.blocks else 2, line)
            elif is_title_like(line) and nxt is not None:
                self.emit(group, label, sub)
                group = []
                if line.endswith(":") and label:
                    sub = line[:-1]
                else:
                    label, sub = line.rstrip(":"), None
            else:
                group.append(line)
            i += 1
        self.emit(group, label, sub)

    def emit(self, lines: list[str], label: str | None, sub: str | None) -> None:
        if lines:
            full = " > ".join(x for x in (label, sub) if x) or None
            self.blocks.append(Block("paragraph", "\n".join(_join_wrapped(lines)), self.headings, label=full))

    def table(self, lines: list[str], i: int) -> int:
        columns: list[str] | None = None
        rows: list[list[str]] = []
        while i < len(lines) and (_split_cells(lines[i]) or _MD_SEPARATOR.match(lines[i])):
            if _MD_SEPARATOR.match(lines[i]):
                if rows and columns is None:
                    columns = rows.pop()
            else:
                rows.append(_split_cells(lines[i]) or [])
            i += 1
        if columns is None and len(rows) > 1 and _is_header_row(rows[0]):
            columns = rows.pop(0)
        for cells in rows:
            cols = tuple(columns[k] if columns and k < len(columns) else None for k in range(len(cells)))
            self.blocks.append(
                Block("row", " | ".join(cells), self.headings, label=cells[0] or None, cells=tuple(cells),
                      columns=cols)
            )  # fmt: skip
        return i

    def year_table(self, lines: list[str], i: int, header: re.Match[str]) -> int:
        years = header.group("years").split()
        caption = header.group("label").strip() or None
        row = re.compile(rf"^(?P<label>.+?)\s+(?P<amounts>{_AMOUNT}(?:\s+{_AMOUNT}){{{len(years) - 1}}})\s*$")
        amount = re.compile(_AMOUNT)
        i += 1
        while i < len(lines) and (m := row.match(lines[i])):
            amounts = _split_amounts(m.group("amounts"), len(years), amount)
            if amounts is None:
                break
            cells = (m.group("label"), *amounts)
            self.blocks.append(
                Block("row", " | ".join(cells), self.headings, label=cells[0], cells=cells,
                      columns=(caption, *years), caption=caption)
            )  # fmt: skip
            i += 1
        return i


def _split_amounts(text: str, n: int, amount: re.Pattern[str]) -> list[str] | None:
    """Split "25 000 26 500" into n amounts the way the row regex did (first split that gives n)."""
    m = re.fullmatch(r"\s+".join([f"({amount.pattern})"] * n), text)
    return [g for g in m.groups()] if m else None


def text_to_blocks(text: str) -> list[Block]:
    """Plain text → blocks (see the module docstring for the structure it recognises)."""
    reader = _TextReader()
    paragraphs: list[list[str]] = [[]]
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = clean(raw)
        if not line:
            paragraphs.append([])
        elif m := _MD_HEADING.match(line):
            paragraphs += [[f"\x01{len(m.group(1))}\x01{m.group(2)}"], []]
        elif _SETEXT.match(line) and len(paragraphs[-1]) == 1:
            level = 1 if line.startswith("=") else 2
            paragraphs[-1] = [f"\x01{level}\x01{paragraphs[-1][0]}"]
            paragraphs.append([])
        else:
            paragraphs[-1].append(_BULLET.sub("", line))
    first = True
    for para in paragraphs:
        if not para:
            continue
        if para[0].startswith("\x01"):
            _, level, title = para[0].split("\x01", 2)
            reader.heading(int(level), title)
        else:
            reader.paragraph(para, first)
        first = False
    return reader.blocks
