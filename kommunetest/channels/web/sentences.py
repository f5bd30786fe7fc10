"""Sentence splitting that survives Norwegian abbreviations (`kl. 08.00`, `pr. mnd.`, `jf. forvaltningsloven`)."""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "kl", "pr", "ca", "jf", "jfr", "tlf", "tel", "nr", "mnd", "inkl", "ekskl", "evt", "bl.a", "f.eks", "dvs",
    "m.m", "o.l", "kap", "vedr", "mob", "hhv", "iflg", "avd", "adr", "st", "gnr", "bnr", "org", "org.nr",
    "t.o.m", "f.o.m", "kr", "mva", "ev", "pkt", "nb", "ref", "man", "tir", "tirs", "ons", "tor", "tors",
    "fre", "lør", "søn", "mån", "tys", "lau", "stk", "ark", "sak",
}  # fmt: skip
_END = re.compile(r"[.!?]+[)\"»”']?\s+(?=[A-ZÆØÅ0-9«\"(])")


def split_sentences(text: str) -> list[str]:
    """Sentences of one line of text; a period after a known abbreviation or an initial does not end one."""
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        word = re.search(r"([\w.]+)$", text[start : m.start()])
        prev = (word.group(1) if word else "").lower()
        if text[m.start()] == "." and (
            prev in ABBREVIATIONS or len(prev) == 1 or prev.endswith(tuple(f".{a}" for a in ("m", "a", "l")))
        ):
            continue
        if (
            text[m.start()] == "."
            and re.fullmatch(r"\d{1,2}", prev)
            and re.match(r"\s*\d", text[m.end() - 1 :])
        ):
            continue  # "1. 2027"? keep dates whole
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out
