"""Accuracy of `kommunetest.channels.email.classify` on the labelled reply corpus.

The corpus lives in tests/data/email_corpus/<label>/*.eml; the directory name is the label. Prints accuracy
per class, overall accuracy and a confusion matrix (rows: label, columns: predicted); `--errors` also lists
every miss with its reasons.

    .venv/bin/python bench/email_classify_eval.py [--corpus DIR] [--errors]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kommunetest.channels.email.classify import KINDS, Classification, classify
from kommunetest.channels.email.parse import parse_mail

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "email_corpus"


@dataclass
class Evaluation:
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[Path, str, Classification]] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, label: str | None = None) -> int:
        return sum(n for (gold, _), n in self.confusion.items() if label is None or gold == label)

    def correct(self, label: str | None = None) -> int:
        return sum(
            n
            for (gold, pred), n in self.confusion.items()
            if gold == pred and (label is None or gold == label)
        )

    def accuracy(self, label: str | None = None) -> float:
        total = self.total(label)
        return self.correct(label) / total if total else 0.0


def evaluate(corpus: Path = CORPUS) -> Evaluation:
    result = Evaluation()
    start = time.perf_counter()
    for path in sorted(corpus.glob("*/*.eml")):
        gold = path.parent.name
        got = classify(parse_mail(path.read_bytes()))
        result.confusion[(gold, got.kind)] += 1
        if got.kind != gold:
            result.misses.append((path, gold, got))
    result.seconds = time.perf_counter() - start
    return result


def report(result: Evaluation, *, errors: bool = False) -> str:
    labels = [k for k in KINDS if result.total(k)]
    lines = [f"{'class':<12} {'n':>4} {'correct':>8} {'accuracy':>9}"]
    for label in labels:
        lines.append(
            f"{label:<12} {result.total(label):>4} {result.correct(label):>8} {result.accuracy(label):>9.1%}"
        )
    lines.append(f"{'all':<12} {result.total():>4} {result.correct():>8} {result.accuracy():>9.1%}")
    lines.append("")
    lines.append("confusion matrix (rows: label, columns: predicted)")
    head = " " * 12 + "".join(f"{k[:11]:>12}" for k in KINDS)
    lines.append(head)
    for label in labels:
        lines.append(f"{label:<12}" + "".join(f"{result.confusion[(label, k)]:>12}" for k in KINDS))
    lines.append("")
    lines.append(f"{result.total()} messages in {result.seconds:.2f} s")
    if errors:
        for path, gold, got in result.misses:
            lines.append(
                f"\n{path.parent.name}/{path.name}: label {gold}, got {got.kind} ({got.confidence:.2f})"
            )
            lines.extend(f"    - {r}" for r in got.reasons)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--errors", action="store_true", help="list every misclassified message with its reasons"
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"error: {args.corpus}: no such directory", file=sys.stderr)
        return 2
    print(report(evaluate(args.corpus), errors=args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
