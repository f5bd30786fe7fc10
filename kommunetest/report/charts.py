"""The report's charts: matplotlib (Agg) to SVG files, deterministic and self-contained.

Text stays text (`svg.fonttype: none`, a generic sans-serif family: no font files, and the SVG is small and
readable by screen readers), ids come from a fixed `svg.hashsalt` and no date is written, so building the
same round twice gives byte-identical files. Each chart comes with a data table for readers who cannot see it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from statistics import mean, median
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib import rc_context
from matplotlib.figure import Figure

from kommunetest.register import SIZE_CLASS_LABELS_NB, SIZE_CLASSES
from kommunetest.report.text import format_number
from kommunetest.report.text import gettext as _

RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "kommunetest",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#1a1a1a",
    "xtick.color": "#1a1a1a",
    "ytick.color": "#1a1a1a",
    "path.simplify": True,
}
BLUE, GREEN, ORANGE, GREY, RED = "#1f5c99", "#2e7d32", "#b35900", "#595959", "#b00020"
CHANNEL_COLOURS = {"web": BLUE, "email": GREEN, "phone": ORANGE}


@dataclass
class Chart:
    id: str
    file: str  # relative to the report root
    title: str
    alt: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _save(fig: Figure, path: Path) -> None:
    buf = StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    path.write_text(buf.getvalue(), encoding="utf-8")


def _fig(width: float = 7.0, height: float = 3.4) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _n(x: float | None, digits: int = 0) -> str:
    return format_number(x, digits=digits)


def score_distribution(records: list[dict[str, Any]], pass_mark: float, path: Path) -> Chart:
    totals = [r["total"] for r in records if r["ranked"] and r["total"] is not None]
    bins = list(range(0, 105, 5))
    counts = [sum(1 for t in totals if lo <= t < lo + 5 or (lo == 95 and t == 100)) for lo in bins[:-1]]
    with rc_context(RC):
        fig, ax = _fig()
        ax.bar([b + 2.5 for b in bins[:-1]], counts, width=4.6, color=BLUE)
        ax.axvline(pass_mark, color=RED, linestyle="--", linewidth=1.2)
        ax.text(
            pass_mark + 1, max(counts or [1]) * 0.95, _("pass mark {mark}", mark=_n(pass_mark)), color=RED
        )
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("Total score (0–100)"))
        ax.set_ylabel(_("Municipalities"))
        _save(fig, path)
    avg = mean(totals) if totals else None
    passed = sum(1 for t in totals if t >= pass_mark)
    alt = _("Histogram of the total scores of {n} ranked municipalities; mean {mean}, median {median}, "
            "{passed} at or above the pass mark {mark}.", n=len(totals), mean=_n(avg, 1),
            median=_n(median(totals) if totals else None, 1), passed=passed, mark=_n(pass_mark))  # fmt: skip
    rows = [[f"{lo}–{lo + 4 if lo < 95 else 100}", str(c)] for lo, c in zip(bins[:-1], counts, strict=True)]
    return Chart(
        "scores", f"charts/{path.name}", _("Score distribution"), alt, [_("Score"), _("Municipalities")], rows
    )


def response_times(answer_days: list[float | None], path: Path) -> Chart:
    """E-mail answers in the speed tiers' bands of working days, and the share with no answer."""
    bands = [(_("≤ 1 day"), 0, 1), (_("1–3 days"), 1, 3), (_("3–5 days"), 3, 5), (_("5–10 days"), 5, 10),
             (_("> 10 days"), 10, float("inf"))]  # fmt: skip
    counts = [
        sum(1 for d in answer_days if d is not None and (lo < d <= hi or (lo == 0 and d == 0)))
        for _l, lo, hi in bands
    ]
    none = sum(1 for d in answer_days if d is None)
    labels = [b[0] for b in bands] + [_("No answer")]
    values = [*counts, none]
    with rc_context(RC):
        fig, ax = _fig()
        ax.bar(labels, values, color=[GREEN] * len(counts) + [GREY])
        ax.set_ylabel(_("E-mail questions"))
        ax.set_xlabel(_("Working days from question to answer"))
        _save(fig, path)
    total = len(answer_days) or 1
    answered = [d for d in answer_days if d is not None]
    alt = _("Bar chart of {n} e-mail questions by working days until the answer: {within1} answered within one "
            "working day, {none} not answered; median {median} working days.", n=len(answer_days),
            within1=counts[0], none=none, median=_n(median(answered) if answered else None, 1))  # fmt: skip
    rows = [[lab, str(v), f"{_n(100 * v / total, 1)} %"] for lab, v in zip(labels, values, strict=True)]
    return Chart("email-times", f"charts/{path.name}", _("E-mail response times"), alt,
                 [_("Working days"), _("Questions"), _("Share")], rows)  # fmt: skip


def _box(ax: Any, groups: list[list[float]], labels: list[str], colours: list[str]) -> None:
    parts = ax.boxplot(groups, tick_labels=labels, patch_artist=True, widths=0.55,
                       medianprops={"color": "#000000", "linewidth": 1.4},
                       flierprops={"marker": ".", "markersize": 3, "markerfacecolor": GREY})  # fmt: skip
    for patch, colour in zip(parts["boxes"], colours, strict=True):
        patch.set_facecolor(colour)
        patch.set_alpha(0.75)
    ax.set_ylim(0, 100)


def channels(records: list[dict[str, Any]], path: Path) -> Chart:
    names = {"web": _("Web"), "email": _("E-mail"), "phone": _("Phone")}
    groups = {c: [r[c] for r in records if r.get(c) is not None] for c in ("web", "email", "phone")}
    keys = [c for c in groups if groups[c]]
    with rc_context(RC):
        fig, ax = _fig()
        if keys:
            _box(ax, [groups[c] for c in keys], [names[c] for c in keys], [CHANNEL_COLOURS[c] for c in keys])
        ax.set_ylabel(_("Channel score (0–100)"))
        _save(fig, path)
    rows = [[names[c], str(len(groups[c])), _n(mean(groups[c]), 1), _n(median(groups[c]), 1)] for c in keys]
    alt = _("Box plot of the channel scores: ") + "; ".join(
        _("{channel} mean {mean}", channel=names[c], mean=_n(mean(groups[c]), 1)) for c in keys
    )
    return Chart("channels", f"charts/{path.name}", _("Channels compared"), alt,
                 [_("Channel"), _("Municipalities"), _("Mean"), _("Median")], rows)  # fmt: skip


def size_classes(records: list[dict[str, Any]], path: Path) -> Chart:
    groups: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r["ranked"] and r["total"] is not None:
            groups[r["size_class"]].append(r["total"])
    keys = [label for label, _lo, _hi in SIZE_CLASSES if groups.get(label)]
    with rc_context(RC):
        fig, ax = _fig()
        if keys:
            _box(ax, [groups[k] for k in keys], [SIZE_CLASS_LABELS_NB[k] for k in keys], [BLUE] * len(keys))
        ax.set_xlabel(_("Inhabitants"))
        ax.set_ylabel(_("Total score (0–100)"))
        _save(fig, path)
    rows = [[SIZE_CLASS_LABELS_NB[k], str(len(groups[k])), _n(mean(groups[k]), 1), _n(median(groups[k]), 1)]
            for k in keys]  # fmt: skip
    alt = _("Box plot of total scores by population size class: ") + "; ".join(
        _("{label}: mean {mean}", label=SIZE_CLASS_LABELS_NB[k], mean=_n(mean(groups[k]), 1)) for k in keys
    )
    return Chart("size-classes", f"charts/{path.name}", _("Size classes compared"), alt,
                 [_("Inhabitants"), _("Municipalities"), _("Mean"), _("Median")], rows)  # fmt: skip


def counties(records: list[dict[str, Any]], path: Path) -> Chart:
    groups: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r["ranked"] and r["total"] is not None:
            groups[r["county"]].append(r["total"])
    order = sorted(groups, key=lambda c: (mean(groups[c]), c))
    all_totals = [t for g in groups.values() for t in g]
    with rc_context(RC):
        fig = Figure(figsize=(7.0, 0.32 * max(len(order), 3) + 0.9))
        ax = fig.add_subplot()
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.barh(order, [mean(groups[c]) for c in order], color=BLUE, height=0.65)
        if all_totals:
            ax.axvline(mean(all_totals), color=RED, linestyle="--", linewidth=1.2)
            ax.text(mean(all_totals) + 0.5, -0.9, _("national mean {mean}", mean=_n(mean(all_totals), 1)),
                    color=RED, fontsize=9)  # fmt: skip
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("Mean total score (0–100)"))
        _save(fig, path)
    rows = [[c, str(len(groups[c])), _n(mean(groups[c]), 1)] for c in reversed(order)]
    alt = _("Bar chart of the mean total score per county, from {high} (highest) to {low} (lowest).",
            high=order[-1] if order else "–", low=order[0] if order else "–")  # fmt: skip
    return Chart("counties", f"charts/{path.name}", _("Counties compared"), alt,
                 [_("County"), _("Municipalities"), _("Mean")], rows)  # fmt: skip


def render_charts(records: list[dict[str, Any]], answer_days: list[float | None], pass_mark: float,
                  out_dir: Path) -> list[Chart]:  # fmt: skip
    """Write every chart under `out_dir`/charts and describe them."""
    d = out_dir / "charts"
    d.mkdir(parents=True, exist_ok=True)
    return [
        score_distribution(records, pass_mark, d / "poengfordeling.svg"),
        response_times(answer_days, d / "svartid-epost.svg"),
        channels(records, d / "kanaler.svg"),
        size_classes(records, d / "storrelse.svg"),
        counties(records, d / "fylker.svg"),
    ]
