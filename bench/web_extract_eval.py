"""Precision and recall of `kommunetest.channels.web.extract` on the labelled page corpus.

The corpus lives in tests/data/web_corpus/: each page NAME.html/.txt/.pdf has a hand-written
NAME.expected.json listing every fact a reader finds in it (kind, value and a context keyword). A found fact
counts as right when its kind and value match a label: opening hours on from/to/days; processing time and
complaint deadline on amount/unit/max; price on nok/per/year; phone and e-mail on the value. Facts are
compared as sets per page (the same value twice on a page is one fact). "Context" is the share of matched
labels whose keyword appears in the context of a found fact with that value.

    .venv/bin/python bench/web_extract_eval.py [--corpus DIR] [--errors]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kommunetest.channels.web.extract import extract_from_file
from kommunetest.channels.web.facts import FACT_KINDS, Fact

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "web_corpus"
PAGE_SUFFIXES = (".html", ".htm", ".txt", ".pdf")


def fact_key(kind: str, value: Any) -> tuple[Any, ...]:
    """What must agree for a found fact to match a label."""
    if kind == "opening_hours":
        days = value.get("days")
        return kind, value["from"], value["to"], tuple(days) if days else None
    if kind in ("processing_time", "complaint_deadline"):
        return kind, value["amount"], value["unit"], value.get("max")
    if kind == "price":
        return kind, float(value["nok"]), value.get("per"), value.get("year")
    return kind, str(value).lower()


@dataclass
class PageResult:
    page: Path
    found: list[Fact]
    missed: list[tuple[Any, ...]] = field(default_factory=list)
    extra: list[tuple[Any, ...]] = field(default_factory=list)
    context_misses: list[tuple[tuple[Any, ...], str]] = field(default_factory=list)


@dataclass
class Evaluation:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    context_checked: int = 0
    context_ok: int = 0
    pages: list[PageResult] = field(default_factory=list)
    seconds: float = 0.0

    def precision(self, kind: str | None = None) -> float:
        tp = self.tp[kind] if kind else sum(self.tp.values())
        fp = self.fp[kind] if kind else sum(self.fp.values())
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, kind: str | None = None) -> float:
        tp = self.tp[kind] if kind else sum(self.tp.values())
        fn = self.fn[kind] if kind else sum(self.fn.values())
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def context_accuracy(self) -> float:
        return self.context_ok / self.context_checked if self.context_checked else 1.0


def corpus_pages(corpus: Path = CORPUS) -> list[tuple[Path, Path]]:
    """(page, labels) pairs; a label file without its page is an error in the corpus."""
    pairs = []
    for labels in sorted(corpus.glob("*.expected.json")):
        stem = labels.name.removesuffix(".expected.json")
        pages = [corpus / f"{stem}{s}" for s in PAGE_SUFFIXES if (corpus / f"{stem}{s}").exists()]
        if len(pages) != 1:
            raise FileNotFoundError(f"{labels}: expected exactly one page named {stem}.html/.txt/.pdf")
        pairs.append((pages[0], labels))
    return pairs


def evaluate(corpus: Path = CORPUS) -> Evaluation:
    ev = Evaluation()
    t0 = time.perf_counter()
    for page, labels_file in corpus_pages(corpus):
        labels = json.loads(labels_file.read_text(encoding="utf-8"))["facts"]
        found = extract_from_file(page)
        result = PageResult(page, found)
        expected = {fact_key(x["kind"], x["value"]): x.get("context") for x in labels}
        got = {fact_key(f.kind, f.value) for f in found}
        for key in got & expected.keys():
            ev.tp[key[0]] += 1
        for key in sorted(got - expected.keys(), key=repr):
            ev.fp[key[0]] += 1
            result.extra.append(key)
        for key in sorted(expected.keys() - got, key=repr):
            ev.fn[key[0]] += 1
            result.missed.append(key)
        for key, keyword in expected.items():
            if key not in got or not keyword:
                continue
            ev.context_checked += 1
            contexts = [f"{f.context or ''}" for f in found if fact_key(f.kind, f.value) == key]
            if any(keyword.lower() in c.lower() for c in contexts):
                ev.context_ok += 1
            else:
                result.context_misses.append((key, keyword))
        ev.pages.append(result)
    ev.seconds = time.perf_counter() - t0
    return ev


def report(ev: Evaluation, errors: bool = False) -> str:
    lines = [f"{'kind':<20}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}"]
    for kind in FACT_KINDS:
        lines.append(
            f"{kind:<20}{ev.tp[kind]:>5}{ev.fp[kind]:>5}{ev.fn[kind]:>5}"
            f"{ev.precision(kind):>11.3f}{ev.recall(kind):>8.3f}"
        )
    tp, fp, fn = sum(ev.tp.values()), sum(ev.fp.values()), sum(ev.fn.values())
    lines.append(f"{'overall':<20}{tp:>5}{fp:>5}{fn:>5}{ev.precision():>11.3f}{ev.recall():>8.3f}")
    lines.append(
        f"context keyword found for {ev.context_ok}/{ev.context_checked} matched facts "
        f"({ev.context_accuracy:.3f}); {len(ev.pages)} pages in {ev.seconds:.2f} s"
    )
    if errors:
        for r in ev.pages:
            if r.missed or r.extra or r.context_misses:
                lines.append(f"\n{r.page.name}")
                lines += [f"  missed  {k}" for k in r.missed]
                lines += [f"  extra   {k}" for k in r.extra]
                lines += [f"  context {k}: no '{kw}'" for k, kw in r.context_misses]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--errors", action="store_true", help="List every miss, extra and context miss.")
    args = parser.parse_args()
    print(report(evaluate(args.corpus), errors=args.errors))


if __name__ == "__main__":
    main()
