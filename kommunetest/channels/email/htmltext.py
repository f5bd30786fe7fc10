"""HTML mail bodies as plain text, keeping paragraphs and marking quoted blocks.

Municipal mail systems (Outlook, Exchange, OWA, archive systems) often send HTML only. Classification and
grading read text, so the HTML becomes text with one blank line between paragraphs, one line per `<br>`, and
`> ` before every line inside a `<blockquote>` (Gmail, Thunderbird and Apple Mail quote that way), so that
`quoted_split` treats quoted HTML the same as quoted plain text.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements whose content never reaches the reader.
_SKIP = frozenset(
    {"head", "style", "script", "title", "meta", "link", "template", "noscript", "xml", "-comment"}
)
# Elements that end a paragraph (a blank line after them).
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "address"})
# Elements that end a line.
_BLOCK = frozenset(
    {"div", "li", "tr", "dd", "dt", "section", "article", "header", "footer", "center", "form", "hr", "br"}
    | {"blockquote", "body", "html", "main", "nav", "aside", "fieldset", "figure", "caption", "dl"}
)
_CELL = frozenset({"td", "th"})
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u200b\ufeff]+")
_MAX_DEPTH_QUOTE = 20


def html_to_text(html: str) -> str:
    """Readable text of an HTML document; never raises (returns "" for what cannot be parsed)."""
    html = html.replace("\x00", "")
    if not html.strip():
        return ""
    try:
        tree = LexborHTMLParser(html)
    except Exception:  # pragma: no cover - lexbor accepts any string, but be safe with a C parser
        return _strip_tags(html)
    root = tree.body or tree.root
    if root is None:
        return _strip_tags(html)
    return _render(root)


def _strip_tags(html: str) -> str:
    return _WS.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()


def _render(root: LexborNode) -> str:
    """Walk the tree without recursion (mail HTML can be nested thousands deep)."""
    out = _Writer()
    node: LexborNode | None = root
    root_id = root.mem_id
    while node is not None:
        tag = node.tag or ""
        descend = False
        if node.is_text_node:
            out.text(node.text_content or "")
        elif tag == "br":
            out.newline()
        elif tag == "hr":
            out.block()
            out.text("----------")
            out.block()
        elif (tag not in _SKIP and node.is_element_node) or node.mem_id == root_id:
            _open(out, tag)
            descend = node.child is not None
            if not descend:
                _close(out, tag)
        if descend:
            node = node.child
            continue
        # Climb until a next sibling is found, closing elements on the way.
        while node is not None:
            if node.mem_id == root_id:
                node = None
                break
            sibling = node.next
            if sibling is not None:
                node = sibling
                break
            node = node.parent
            if node is not None:
                _close(out, node.tag or "")
    return out.result()


def _open(out: _Writer, tag: str) -> None:
    if tag == "blockquote":
        out.block()
        out.quote_depth = min(out.quote_depth + 1, _MAX_DEPTH_QUOTE)
    elif tag in _PARAGRAPH:
        out.paragraph()
    elif tag in _BLOCK:
        out.block()
    if tag == "li":
        out.text("- ")
    elif tag == "pre":
        out.pre += 1


def _close(out: _Writer, tag: str) -> None:
    if tag == "blockquote":
        out.block()
        out.quote_depth = max(out.quote_depth - 1, 0)
    elif tag in _PARAGRAPH:
        if tag == "pre":
            out.pre = max(out.pre - 1, 0)
        out.paragraph()
    elif tag in _BLOCK:
        out.block()
    elif tag in _CELL:
        out.text(" ")


class _Writer:
    """Collects lines; collapses whitespace outside <pre> and prefixes quoted lines with '> '."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.current_quote = 0
        self.quote_depth = 0
        self.pre = 0
        self.pending_blank = False

    def text(self, s: str) -> None:
        if not s:
            return
        if self.pre:
            parts = s.replace("\r\n", "\n").split("\n")
            for i, part in enumerate(parts):
                if i:
                    self.newline()
                self._append(part)
            return
        s = _WS.sub(" ", s)
        if s == " " and not self.current:
            return
        if not self.current:
            s = s.lstrip()
        self._append(s)

    def _append(self, s: str) -> None:
        if not s:
            return
        if not self.current:
            if self.pending_blank and self.lines:
                self.lines.append(self._prefix(self.quote_depth).rstrip())
            self.pending_blank = False
            self.current_quote = self.quote_depth
        self.current.append(s)

    def _prefix(self, depth: int) -> str:
        return "> " * depth

    def newline(self) -> None:
        if self.current:
            self.lines.append(self._prefix(self.current_quote) + "".join(self.current).rstrip())
            self.current = []
        elif self.lines and not self.pending_blank:
            # A <br> on an empty line is a blank line (Outlook writes <p>&nbsp;</p> and <br><br>).
            self.lines.append(self._prefix(self.quote_depth).rstrip())

    def block(self) -> None:
        if self.current:
            self.newline()

    def paragraph(self) -> None:
        self.block()
        self.pending_blank = True

    def result(self) -> str:
        self.block()
        text = "\n".join(line.rstrip() for line in self.lines)
        text = re.sub(r"\n(?:[> ]*\n){2,}", "\n\n", text)
        return text.strip("\n")
