"""Score runs: score, rank and store a round in one call, and read stored runs back.

A run is a snapshot of the published figures with the model that made them (version, content hash, full
rules). Scoring the same inputs under the same model again returns the stored run instead of adding one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kommunetest.ranking import Previous, rank_result, results_records
from kommunetest.scoring import DETAIL_COLUMNS, ScoreResult, score_round
from kommunetest.scoring_model import ScoringModel, load_model
from kommunetest.store import Store


@dataclass
class ScoreRun:
    result: ScoreResult
    ranked: pd.DataFrame
    records: list[dict[str, Any]]
    run_id: int | None
    created: bool
    previous: Previous | None = None

    def summary(self) -> dict[str, Any]:
        """Counts and figures for the command line and the stored run."""
        ranked = [r for r in self.records if r["ranked"]]
        totals = [r["total_exact"] for r in ranked]
        model = self.result.model
        return {
            "round": self.result.round_name,
            "run_id": self.run_id,
            "model_version": model.version,
            "model_hash": model.content_hash,
            "model_source": model.source,
            "method_version": self.result.method_version,
            "municipalities": len(self.records),
            "ranked": len(ranked),
            "not_ranked": len(self.records) - len(ranked),
            "passed": sum(1 for r in ranked if r["passed"]),
            "mean": round(sum(totals) / len(totals), 2) if totals else None,
            "probes_planned": len(self.result.probes),
            "probes_observed": int(self.result.probes["observed"].sum()),
            "corrections_applied": self.result.corrections_applied,
            "bootstrap": model.ranking.bootstrap.model_dump(),
            "previous_round": self.previous.round_name if self.previous else None,
            "warnings": list(self.result.warnings),
        }


def load_previous(store: Store, round_name: str) -> Previous:
    """The latest stored run of `round_name`, for change figures (NotFoundError if it was never scored)."""
    run = store.score_run(round_name=round_name)
    rows = store.municipality_scores(run["id"])
    frame = pd.DataFrame(
        [(r["kommunenummer"], r["total"], r["rank"]) for r in rows],
        columns=["kommunenummer", "total", "rank"],
    )
    return Previous(round_name, frame, run["model_version"], run["model_hash"], run["method_version"])


def _clean(x: Any) -> Any:
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return None if math.isnan(x) else round(float(x), 4)
    return x


def probe_rows(result: ScoreResult) -> list[dict[str, Any]]:
    """Probe scores as rows for the store."""
    p = result.probes
    details = p[list(DETAIL_COLUMNS)].to_dict("records")
    return [
        {
            "probe_id": pid,
            "observed": bool(obs),
            "score": _clean(score),
            "detail": {k: _clean(v) for k, v in d.items() if _clean(v) is not None},
        }
        for pid, obs, score, d in zip(p["probe_id"], p["observed"], p["score"], details, strict=True)
    ]


def run_scoring(
    store: Store,
    round_name: str,
    model: ScoringModel | None = None,
    *,
    previous_round: str | None = None,
    resamples: int | None = None,
    save: bool = True,
) -> ScoreRun:
    """Score, bootstrap, rank and (with `save`) store round `round_name`. Observations are only read."""
    model = model or load_model()
    previous = load_previous(store, previous_round) if previous_round else None
    result = score_round(store, round_name, model)
    ranked = rank_result(result, previous=previous, resamples=resamples)
    records = results_records(ranked)
    run = ScoreRun(result, ranked, records, None, False, previous)
    if save:
        run.run_id, run.created = store.save_score_run(
            round_name,
            model_version=model.version,
            model_hash=model.content_hash,
            model=model.content(),
            method_version=result.method_version,
            inputs_hash=result.inputs_hash,
            summary=run.summary(),
            municipalities=[
                {
                    "kommunenummer": r["kommunenummer"],
                    "total": r["total_exact"],
                    "rank": r["rank"],
                    "ranked": r["ranked"],
                    "record": r,
                }
                for r in records
            ],
            probes=probe_rows(result),
        )
    return run


def stored_results(
    store: Store, round_name: str, run_id: int | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(run, records) of a stored run (default: the round's latest), records in rank order."""
    run = store.score_run(run_id, round_name=round_name) if run_id else store.score_run(round_name=round_name)
    return run, [r["record"] for r in store.municipality_scores(run["id"])]
