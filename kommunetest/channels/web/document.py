"""Pages → blocks: the text units facts are read from, each with the headings it sits under.

A fact is only as useful as what it is attached to: the library's opening hours must not pass for the
service desk's. So every block keeps its heading path, and table rows keep their row label and the header
of each column (a fee table with a column per year gives each amount its year).
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Block", "clean", "decode_bytes", "html_to_blocks", "looks_like_html", "pdf_to_text"]


@dataclass
class Block:
    """One unit of text: a heading, paragraph, list item, table row or line group.

    `headings` is the path of headings above the block (outermost first); `label` is a local topic (a
    definition term, a bold lead-in paragraph, a text label line). Table rows carry `cells` with the
    `columns` header of each cell (None where the table has no header) and the table `caption`.
    """

    kind: str
    text: str
    headings: tuple[str, ...] = ()
    label: str | None = None
    cells: tuple[str, ...] | None = None
    columns: tuple[str | None, ...] | None = None
    caption: str | None = None
    links: tuple[str, ...] = field(default_factory=tuple)


# Elements that never hold content a citizen reads as page text.
_DROP = {
    "script", "style", "noscript", "template", "svg", "nav", "iframe", "head", "button", "select",
    "option", "input", "textarea", "form", "canvas", "video", "audio", "object", "map",
}  # fmt: skip
_NOISE_ATTR = re.compile(r"cookie|breadcrumb|skip-?link|skiplink|consent|share-?buttons|sr-only", re.I)
_HEADING = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Block-level elements: their text is a unit of its own.
_BLOCKS = {
    "p", "li", "dd", "dt", "address", "blockquote", "figcaption", "pre", "div", "section", "article",
    "main", "aside", "header", "footer", "ul", "ol", "dl", "table", "figure", "details", "summary",
    "body", "center", "fieldset", "caption", "tr", "td", "th", "thead", "tbody", "tfoot", "hr",
    *_HEADING,
}  # fmt: skip
_LEAF_KIND = {"li": "item", "dd": "item", "address": "paragraph"}
_WS = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f\u2007\u200b]+")
PSEUDO_LEVEL = 7  # a bold-only paragraph acts as a heading below h6


def clean(text: str) -> str:
    """Collapse spaces (keeping thin/non-breaking ones as plain spaces) and trim every line."""
    lines = [_WS.sub(" ", line).strip() for line in text.replace("\u00ad", "").split("\n")]
    return "\n".join(line for line in lines if line)


def decode_bytes(data: bytes, content_type: str | None = None) -> str:
    """Bytes → text: charset from the header, then from a BOM or <meta>, then UTF-8, then windows-1252."""
    candidates: list[str] = []
    if content_type and (m := re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)):
        candidates.append(m.group(1))
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    head = data[:4096].decode("ascii", errors="ignore")
    if m := re.search(r"<meta[^>]+charset=[\"']?([\w.:-]+)", head, re.I):
        candidates.append(m.group(1))
    for enc in [*candidates, "utf-8"]:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("windows-1252", errors="replace")


def looks_like_html(text: str) -> bool:
    return bool(
        re.search(r"<(?:!doctype\s+html|html|body|head|p|div|table|h[1-6]|ul|br)\b", text[:4000], re.I)
    )


def pdf_to_text(data: bytes) -> str:
    """The text of every page (pypdf); pages are separated by blank lines."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join((page.extract_text() or "") for page in reader.pages)


class _Walker:
    """Walks the DOM in reading order, keeping the heading stack and emitting blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.stack: list[tuple[int, str]] = []
        self.label: str | None = None

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def set_heading(self, level: int, text: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def emit(self, kind: str, text: str, links: tuple[str, ...] = ()) -> None:
        text = clean(text)
        if text or links:
            self.blocks.append(Block(kind, text, self.headings, label=self.label, links=links))

    def walk(self, node: LexborNode) -> None:
        tag = node.tag
        if tag == "form" and _holds_page(node) and not _is_noise(node):
            self.container(node)  # ASP.NET WebForms sites wrap the whole page in one <form>
            return
        if tag in _DROP or _is_noise(node):
            return
        if tag in _HEADING:
            text = clean(inline_text(node)).replace("\n", " ")
            if text:
                self.emit("heading", text)
                self.set_heading(_HEADING[tag], text)
            return
        if tag == "table":
            if _is_layout_table(node):
                self.container(node)  # a page laid out in a table: read its cells as ordinary content
            else:
                self.table(node)
            return
        if tag == "dl":
            self.definitions(node)
            return
        if tag == "footer" or node.attributes.get("role") == "contentinfo" or _is_footer_box(node):
            # The page footer is about the whole municipality, not about the last section above it.
            saved, self.stack = self.stack, [(1, "Bunntekst")]
            try:
                self.container(node)
            finally:
                self.stack = saved
            return
        self.container(node)

    def definitions(self, node: LexborNode) -> None:
        """<dl>: each <dt> is the topic of the <dd>s after it."""
        saved = self.label
        for child in node.iter():
            if child.tag == "dt":
                self.label = clean(inline_text(child)).replace("\n", " ") or None
            elif child.tag in _DROP or _is_noise(child):
                continue
            else:
                self.walk(child)
        self.label = saved

    def container(self, node: LexborNode) -> None:
        """Mixed content: runs of inline content become blocks, block children are walked."""
        run: list[LexborNode] = []
        kind = _LEAF_KIND.get(node.tag or "", "paragraph")
        for child in node.iter(include_text=True):
            if child.tag in _BLOCKS or child.tag in _DROP:
                self.flush(run, kind)
                run = []
                self.walk(child)
            else:
                run.append(child)
        self.flush(run, kind)

    def flush(self, run: list[LexborNode], kind: str) -> None:
        if not run:
            return
        text = clean("".join(inline_text(n) for n in run))
        links = tuple(href for n in run for href in _links(n))
        if _is_pseudo_heading(run, text):
            self.set_heading(PSEUDO_LEVEL, text.rstrip(":"))
            self.emit("heading", text)
        else:
            self.emit(kind, text, links)

    def table(self, node: LexborNode) -> None:
        caption_node = node.css_first("caption")
        caption = clean(inline_text(caption_node)).replace("\n", " ") if caption_node else None
        columns: list[str | None] | None = None
        header_done = False
        for tr, texts, all_th in _table_grid(node):
            if not any(texts):
                continue
            in_head = tr.parent is not None and tr.parent.tag == "thead"
            if in_head or (all_th and len(texts) > 1 and not header_done and not _has_row_data(texts)):
                columns = _merge_header(columns, texts) if columns else list(texts)
                continue
            header_done = True
            cols = tuple(columns[i] if columns and i < len(columns) else None for i in range(len(texts)))
            links = tuple(h for c in tr.iter() if c.tag in ("td", "th") for h in _links(c))
            self.blocks.append(
                Block("row", " | ".join(texts), self.headings, label=texts[0] or None, cells=tuple(texts),
                      columns=cols, caption=caption, links=links)
            )  # fmt: skip


def _table_grid(table: LexborNode) -> list[tuple[LexborNode, list[str], bool]]:
    """Rows of one table (not of tables nested in it) as full-width cell texts: colspans repeat a cell
    across its columns, rowspans carry it down into the rows below."""
    rows: list[tuple[LexborNode, list[str], bool]] = []
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for tr in table.css("tr"):
        owner = _closest_table(tr)
        if owner is None or owner.mem_id != table.mem_id:
            continue
        cells = [c for c in tr.iter() if c.tag in ("td", "th")]
        texts: list[str] = []
        col = 0
        queue = list(cells)
        while queue or col in carry:
            if col in carry:
                text, left = carry.pop(col)
                texts.append(text)
                if left > 1:
                    carry[col] = (text, left - 1)
                col += 1
                continue
            c = queue.pop(0)
            text = clean(inline_text(c)).replace("\n", " ")
            span, down = _int(c.attributes.get("colspan"), 1), _int(c.attributes.get("rowspan"), 1)
            for _ in range(span):
                texts.append(text)
                if down > 1:
                    carry[col] = (text, down - 1)
                col += 1
        rows.append((tr, texts, all(c.tag == "th" for c in cells)))
    return rows


def _merge_header(columns: list[str | None], texts: list[str]) -> list[str | None]:
    """Two header rows (e.g. "Pris per måned" over "2026 | 2027") read as one header per column."""
    merged: list[str | None] = []
    for i in range(max(len(columns), len(texts))):
        top = columns[i] if i < len(columns) else None
        t = texts[i] if i < len(texts) else None
        merged.append(f"{top} / {t}" if top and t and top != t else top or t)
    return merged


def _has_row_data(texts: list[str]) -> bool:
    """A th-only row with amounts or clock times in it is data (some CMSes put every cell in th)."""
    return sum(bool(re.search(r"\d[\d .:,–-]*\d|\bkr\b", t)) and not _YEAR_ONLY.match(t) for t in texts) > 1


_YEAR_ONLY = re.compile(r"^\D*\b(?:19|20)\d\d\b\D*$")


# Content no data cell holds: a cell with one of these makes the table a layout table (old sites' page grid).
_LAYOUT_CONTENT = "table, h1, h2, h3, h4, h5, h6, form, nav, header, footer, main, article, section"


def _is_layout_table(table: LexborNode) -> bool:
    """A table used for page layout (role=presentation, or cells holding headings, forms or tables)."""
    if (table.attributes.get("role") or "").lower() in ("presentation", "none"):
        return True
    for cell in table.css("td, th"):
        owner = _closest_table(cell)
        if owner is not None and owner.mem_id == table.mem_id and cell.css_first(_LAYOUT_CONTENT) is not None:
            return True
    return False


def _closest_table(node: LexborNode) -> LexborNode | None:
    p = node.parent
    while p is not None and p.tag != "table":
        p = p.parent
    return p


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, min(50, int(value or default)))
    except ValueError:
        return default


# Old layouts mark the page footer by class or id only (`<td class="bunn">`, `<div id="footer">`).
_FOOTER_TOKENS = {"footer", "site-footer", "sitefooter", "global-footer", "bunn", "bunntekst", "sidefot"}


def _holds_page(form: LexborNode) -> bool:
    """A form that holds the page's content (headings, the main region), not a search or feedback form."""
    return form.css_first("h1, h2, main, article, [role=main]") is not None


def _is_footer_box(node: LexborNode) -> bool:
    attrs = node.attributes
    tokens = {*(attrs.get("class") or "").lower().split(), (attrs.get("id") or "").lower()}
    return bool(tokens & _FOOTER_TOKENS)


def _is_noise(node: LexborNode) -> bool:
    attrs = node.attributes
    if attrs.get("hidden") is not None or attrs.get("aria-hidden") == "true":
        return True
    if attrs.get("role") in ("navigation", "banner", "search", "dialog"):
        return True
    return bool(_NOISE_ATTR.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}"))


def inline_text(node: LexborNode | None) -> str:
    """Text of a node with <br> and nested blocks as line breaks (so lines stay lines)."""
    if node is None:
        return ""
    if node.tag == "-text":
        return node.text_content or ""
    if node.tag == "br":
        return "\n"
    if node.tag in _DROP or (node.tag != "-text" and _is_noise(node)):
        return ""
    parts = [inline_text(c) for c in node.iter(include_text=True)]
    text = "".join(parts)
    return f"\n{text}\n" if node.tag in _BLOCKS else text


def _links(node: LexborNode) -> list[str]:
    """mailto:/tel: targets, which often hold the address or number behind a "Send e-post" link."""
    found: list[str] = []
    nodes = [node] if node.tag == "a" else []
    if node.tag != "-text":
        nodes += list(node.css("a[href]"))
    for a in nodes:
        href = (a.attributes.get("href") or "").strip()
        if href.lower().startswith(("mailto:", "tel:")):
            found.append(href)
    return found


def _is_pseudo_heading(run: list[LexborNode], text: str) -> bool:
    """`<p><strong>Biblioteket</strong></p>`: a short, bold-only run with no figures names a topic."""
    elems = [n for n in run if n.tag != "-text" or (n.text_content or "").strip()]
    if len(elems) != 1 or elems[0].tag not in ("strong", "b") or "\n" in text:
        return False
    return 0 < len(text) <= 60 and not re.search(r"\d|@", text)


def html_to_blocks(html: str | bytes, content_type: str | None = None) -> list[Block]:
    """HTML → blocks in reading order, without navigation, scripts, cookie banners and other noise.

    Footers are kept (municipal footers often hold the switchboard number and the desk's hours) under
    the heading "Bunntekst", so callers can tell them apart.
    """
    if isinstance(html, bytes):
        html = decode_bytes(html, content_type)
    tree = LexborHTMLParser(html)
    walker = _Walker()
    title = tree.css_first("title")
    body = tree.body
    if body is None:
        return []
    if title is not None and not tree.css_first("h1"):
        text = clean(title.text()).replace("\n", " ")
        if text:
            walker.set_heading(1, text.split(" - ")[0].split(" | ")[0].strip())
    try:
        walker.walk(body)
    except RecursionError:
        # Pathologically deep markup: read it as plain text rather than fail.
        from kommunetest.channels.web.textblocks import text_to_blocks

        for node in body.css(",".join(sorted(_DROP - {"head"}))):
            node.decompose()
        return text_to_blocks(body.text(separator="\n"))
    return walker.blocks
