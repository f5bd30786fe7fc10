"""Ranks, ties, peer groups, uncertainty and change since a previous round (pandas and numpy).

Decisions (documented on the method page):
- Scores are shown as whole numbers, rounded half up; ranks are competition ranks ("1, 1, 3") on that
  displayed number, so two municipalities shown with the same score always share a rank.
- Only municipalities with at least `min_coverage` of their planned probes observed are ranked; the others
  are listed with the reason. Municipalities under `small_population` inhabitants are flagged.
- Uncertainty: each municipality's observed probes are resampled with replacement within each
  (channel[, sector]) cell, B times, and re-scored by the same rules (`scoring.cell_totals`); score and rank
  intervals are the central `level` percentiles. The rank interval is widened, if need be, to include the
  published rank. Resampling within cells follows the stratified design (so many e-mails, so many calls);
  its known limit: a cell with one observed probe adds no spread, one with n probes (n-1)/n of it, so
  intervals for municipalities with very few probes are on the narrow side. "Statistically tied" bands: walking down the ranking, a municipality joins the current
  band while its best plausible rank (rank_low) lies within the band leader's rank interval; otherwise it
  starts a new band. Members of a band cannot be told apart by this round's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kommunetest.scenarios import CHANNELS, SECTORS
from kommunetest.scoring import ScoreResult, cell_index, cell_totals
from kommunetest.scoring_model import ScoringModel, load_model

MAX_SCORE = 100
_CHUNK_CELLS = 4_000_000  # resampled probes held in memory at once


def display_score(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """The published whole-number score: rounded half up (74.5 -> 75), NaN stays NaN.

    A tiny epsilon keeps arithmetic noise (74.49999999999 for an exact 74.5) from rounding down."""
    a = np.asarray(x, dtype=float)
    return np.floor(np.clip(a, 0, MAX_SCORE) + 0.5 + 1e-9)


def competition_ranks(display: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Competition ranks ("1, 1, 3") of whole-number scores 0–100, highest first, within each group.

    `display` is [B, M] (or [M]) integers; `groups` [M] group ids (None: one group). Vectorised through a
    histogram of scores per resample and group: rank = 1 + how many in the group scored strictly higher."""
    one = display.ndim == 1
    d = np.atleast_2d(display).astype(np.int64)
    B, M = d.shape
    g = np.zeros(M, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    G, V = int(g.max(initial=-1)) + 1, MAX_SCORE + 1
    if M == 0:
        return np.zeros((B, 0) if not one else 0, dtype=np.int64)
    flat = (np.arange(B)[:, None] * G + g[None, :]) * V + d
    counts = np.bincount(flat.ravel(), minlength=B * G * V).reshape(B, G, V)
    higher = np.cumsum(counts[..., ::-1], axis=-1)[..., ::-1] - counts
    ranks = 1 + higher[np.arange(B)[:, None], g[None, :], d]
    return ranks[0] if one else ranks


def bootstrap_totals(
    result: ScoreResult, resamples: int | None = None, seed: int | None = None
) -> np.ndarray:
    """[B, M] totals of B bootstrap resamples, aligned with `result.municipalities` rows.

    Each municipality's observed probes are resampled with replacement within their cell (municipality ×
    channel, and × sector when sector weights are on), all at once with numpy; chunked to bound memory."""
    model = result.model
    rules = model.ranking.bootstrap
    B = rules.resamples if resamples is None else resamples
    rng = np.random.default_rng(rules.seed if seed is None else seed)
    numbers = pd.Index(result.municipalities["kommunenummer"])
    M, C = len(numbers), len(CHANNELS)
    by_sector = model.sectors.use_weights
    S = len(SECTORS) if by_sector else 1
    p = result.probes[result.probes["observed"]]
    m, s, c = cell_index(p, numbers)
    keep = (m >= 0) & (s >= 0) & (c >= 0)
    m, s, c = m[keep], (s[keep] if by_sector else np.zeros(keep.sum(), dtype=np.int64)), c[keep]
    cell = (m * S + s) * C + c
    order = np.argsort(cell, kind="stable")
    cell = cell[order]
    x = p["score"].to_numpy(float)[keep][order]
    w = p["weight"].to_numpy(float)[keep][order]
    cells, starts, sizes = np.unique(cell, return_index=True, return_counts=True)
    N = len(cell)
    if B <= 0 or N == 0:
        return np.empty((0, M))
    base = np.repeat(starts, sizes)  # for each column: where its cell starts
    size = np.repeat(sizes, sizes)
    out = np.empty((B, M))
    step = max(1, _CHUNK_CELLS // N)
    for b0 in range(0, B, step):
        b = min(step, B - b0)
        pick = base + (rng.random((b, N)) * size).astype(np.int64)
        ws = np.add.reduceat(x[pick] * w[pick], starts, axis=1)
        sw = np.add.reduceat(w[pick], starts, axis=1)
        sum_ws = np.zeros((b, M * S * C))
        sum_w = np.zeros((b, M * S * C))
        sum_ws[:, cells], sum_w[:, cells] = ws, sw
        shape = (b, M, S, C)
        total, _, _ = cell_totals(
            sum_ws.reshape(shape), sum_w.reshape(shape), model, SECTORS if by_sector else None
        )
        out[b0 : b0 + b] = total
    return out


@dataclass
class Previous:
    """The scores of an earlier round, for "change since last round"."""

    round_name: str
    scores: pd.DataFrame  # kommunenummer, total (exact), rank
    model_version: str
    model_hash: str
    method_version: str

    def comparison_note(self, model: ScoringModel, method_version: str) -> str | None:
        """None when comparable; else why not (shown with the change figures)."""
        if self.model_version != model.version:
            return f"metoden er endret: {self.round_name} brukte {self.model_version}, nå {model.version}"
        if self.model_hash != model.content_hash:
            return f"poengreglene er endret siden {self.round_name} (samme versjonsnavn {model.version})"
        if self.method_version != method_version:
            return (
                f"testmetoden er endret: {self.round_name} brukte {self.method_version}, nå {method_version}"
            )
        return None


def _not_ranked_reason(planned: int, coverage: float, total: float, min_coverage: float) -> str | None:
    if planned == 0:
        return "ingen prober planlagt"
    if not coverage >= min_coverage:
        return f"for lite observert: {coverage * 100:.0f} % av planlagte prober (krav: {min_coverage * 100:.0f} %)"
    if np.isnan(total):
        return "ingen observasjoner med poeng"
    return None


def tie_bands(rank: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Band number per position of arrays already in rank order: a municipality stays in the current band
    while its best plausible rank (`low`) is within the band leader's interval."""
    bands = np.zeros(len(rank), dtype=np.int64)
    band, leader_high = 0, -np.inf
    for i in range(len(rank)):
        if low[i] > leader_high:
            band += 1
            leader_high = high[i]
        bands[i] = band
    return bands


def rank(
    scores: pd.DataFrame,
    *,
    model: ScoringModel | None = None,
    samples: np.ndarray | None = None,
    previous: Previous | None = None,
    method_version: str | None = None,
) -> pd.DataFrame:
    """Ranked copy of a municipality score frame (`ScoreResult.municipalities`).

    Adds: display (whole-number total), ranked, reason, small, rank, county_rank, size_class_rank,
    passed, and with `samples` ([B, M] bootstrap totals aligned with the rows) score_low/score_high,
    rank_low/rank_high and band; with `previous` previous_total/previous_rank/change_total/change_rank and
    change_note. Rows come back in rank order (not ranked last, by name)."""
    model = model or load_model()
    rules = model.ranking
    df = scores.reset_index(drop=True).copy()
    total = df["total"].to_numpy(float)
    df["display"] = display_score(total)
    reasons = [
        _not_ranked_reason(int(p), float(cv), float(t), rules.min_coverage)
        for p, cv, t in zip(df["planned"], df["coverage"], total, strict=True)
    ]
    ranked = np.array([r is None for r in reasons])
    df["ranked"] = ranked
    df["reason"] = reasons
    df["small"] = df["population"].to_numpy() < rules.small_population
    disp = np.nan_to_num(df["display"].to_numpy()).astype(np.int64)
    idx = np.flatnonzero(ranked)
    for col, groups in (("rank", None), ("county_rank", "county_number"), ("size_class_rank", "size_class")):
        values = np.full(len(df), np.nan)
        g = None if groups is None else pd.factorize(df[groups].to_numpy()[idx])[0]
        values[idx] = competition_ranks(disp[idx], g)
        df[col] = values
    df["passed"] = np.where(ranked, df["display"].to_numpy() >= rules.pass_mark, None)
    if samples is not None and len(samples):
        level = rules.bootstrap.level
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        df["score_low"] = np.quantile(samples, lo, axis=0)
        df["score_high"] = np.quantile(samples, hi, axis=0)
        r = competition_ranks(display_score(samples[:, idx]).astype(np.int64))
        point = df["rank"].to_numpy()[idx]
        rank_low = np.full(len(df), np.nan)
        rank_high = np.full(len(df), np.nan)
        rank_low[idx] = np.minimum(np.floor(np.quantile(r, lo, axis=0)), point)
        rank_high[idx] = np.maximum(np.ceil(np.quantile(r, hi, axis=0)), point)
        df["rank_low"], df["rank_high"] = rank_low, rank_high
    df = df.sort_values(["ranked", "rank", "name", "kommunenummer"], ascending=[False, True, True, True])
    df = df.reset_index(drop=True)
    if "rank_low" in df:
        band = np.full(len(df), np.nan)
        n = int(ranked.sum())
        band[:n] = tie_bands(
            df["rank"].to_numpy()[:n], df["rank_low"].to_numpy()[:n], df["rank_high"].to_numpy()[:n]
        )
        df["band"] = band
    if previous is not None:
        prev = previous.scores.set_index("kommunenummer")
        df["previous_total"] = display_score(df["kommunenummer"].map(prev["total"]).to_numpy(float))
        df["previous_rank"] = df["kommunenummer"].map(prev["rank"]).to_numpy(float)
        df["change_total"] = df["display"] - df["previous_total"]
        df["change_rank"] = df["previous_rank"] - df["rank"]  # positive: moved up
        df["change_note"] = previous.comparison_note(model, method_version or model.version)
        df.attrs["previous_round"] = previous.round_name
    return df


def rank_result(
    result: ScoreResult, *, previous: Previous | None = None, resamples: int | None = None
) -> pd.DataFrame:
    """Bootstrap and rank a score result under its own model."""
    samples = bootstrap_totals(result, resamples)
    return rank(
        result.municipalities,
        model=result.model,
        samples=samples,
        previous=previous,
        method_version=result.method_version,
    )


def ranking_list(
    ranked: pd.DataFrame, *, county: str | None = None, size_class: str | None = None
) -> pd.DataFrame:
    """A published list: national, one county's (by county number or name) or one size class's, in rank
    order, with the rank that applies to that list in `list_rank`."""
    df = ranked[ranked["ranked"]]
    col = "rank"
    if county is not None:
        df = df[(df["county_number"] == county) | (df["county"] == county)]
        col = "county_rank"
    if size_class is not None:
        df = df[df["size_class"] == size_class]
        col = "size_class_rank" if county is None else col
    return df.assign(list_rank=df[col]).sort_values(["list_rank", "name"]).reset_index(drop=True)


def not_ranked(ranked: pd.DataFrame) -> pd.DataFrame:
    """Municipalities left out of the ranking, with the reason, by name."""
    return ranked[~ranked["ranked"]].sort_values("name").reset_index(drop=True)


def _num(x: Any, digits: int | None = None) -> int | float | None:
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return None
    if digits is None:
        return int(x)
    return round(float(x), digits)


def results_records(ranked: pd.DataFrame) -> list[dict[str, Any]]:
    """One plain record per municipality, in rank order, for CSV/XLSX/JSON (None where not applicable).

    Scores are the displayed whole numbers; `total_exact` keeps two decimals; `coverage` is a share 0–1."""
    out = []
    has_ci, has_prev = "rank_low" in ranked, "previous_total" in ranked
    for r in ranked.to_dict("records"):
        rec: dict[str, Any] = {
            "kommunenummer": r["kommunenummer"],
            "name": r["name"],
            "county_number": r["county_number"],
            "county": r["county"],
            "population": int(r["population"]),
            "size_class": r["size_class"],
            "small": bool(r["small"]),
            "total": _num(r["display"]),
            "total_exact": _num(r["total"], 2),
        }
        for ch in CHANNELS:
            rec[ch] = _num(display_score(r[ch]).item())
        for sec in SECTORS:
            rec[f"sector_{sec}"] = _num(display_score(r[f"sector_{sec}"]).item())
        rec.update(
            rank=_num(r["rank"]),
            county_rank=_num(r["county_rank"]),
            size_class_rank=_num(r["size_class_rank"]),
            rank_low=_num(r["rank_low"]) if has_ci else None,
            rank_high=_num(r["rank_high"]) if has_ci else None,
            band=_num(r["band"]) if has_ci else None,
            score_low=_num(display_score(r["score_low"]).item()) if has_ci else None,
            score_high=_num(display_score(r["score_high"]).item()) if has_ci else None,
            ranked=bool(r["ranked"]),
            reason=r["reason"],
            passed=None if r["passed"] is None else bool(r["passed"]),
            coverage=_num(r["coverage"], 3),
            planned=int(r["planned"]),
            observed=int(r["observed"]),
            n_web=int(r["n_web"]),
            n_email=int(r["n_email"]),
            n_phone=int(r["n_phone"]),
            previous_total=_num(r["previous_total"]) if has_prev else None,
            previous_rank=_num(r["previous_rank"]) if has_prev else None,
            change_total=_num(r["change_total"]) if has_prev else None,
            change_rank=_num(r["change_rank"]) if has_prev else None,
            change_note=r["change_note"] if has_prev else None,
        )
        out.append(rec)
    return out
