"""Everything a report is built from, read from the store in a handful of queries.

The report shows a score run: the one asked for (`--run`), else the round's latest, re-scored first (under the
same model) when observations or corrections changed since it was made, or scored for the first time when
the round has none. Change since a previous round is computed here from that round's latest run, so it works
with any run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kommunetest.errors import NotFoundError
from kommunetest.ranking import display_score
from kommunetest.report.redact import Persona
from kommunetest.scenarios import QuestionBank, Scenario
from kommunetest.score_runs import load_previous, run_scoring, stored_results
from kommunetest.scoring import rows_inputs_hash
from kommunetest.scoring_model import ScoringModel, model_for
from kommunetest.settings import Settings
from kommunetest.store import Store

CHANNEL_ORDER = {"email": 0, "web": 1, "phone": 2}


@dataclass
class ReportData:
    round: dict[str, Any]
    run: dict[str, Any]
    model: ScoringModel
    records: list[dict[str, Any]]  # rank order, enriched with name_alt, website, corrections
    municipalities: dict[str, dict[str, Any]]  # the round's register rows
    probes: dict[str, list[dict[str, Any]]]  # kommunenummer -> probes (channel, scenario order)
    observations: dict[str, list[dict[str, Any]]]  # probe id -> rows
    evidence: dict[str, list[dict[str, Any]]]  # probe id -> rows
    probe_scores: dict[str, dict[str, Any]]  # probe id -> {observed, score, detail}
    corrections: list[dict[str, Any]]
    bank: QuestionBank | None
    personas: list[Persona]
    previous_round: str | None = None
    scored_now: bool = False
    generated_at: datetime | None = None
    by_knr: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_knr = {r["kommunenummer"]: r for r in self.records}

    def scenario(self, scenario_id: str) -> Scenario | None:
        if self.bank is None:
            return None
        if scenario_id in self.bank:
            return self.bank.get(scenario_id)
        base = scenario_id.rsplit("-x", 1)[0]  # numbered copies made by benchmarks
        return self.bank.get(base) if base in self.bank else None

    def corrections_for(self, kommunenummer: str) -> list[dict[str, Any]]:
        return [c for c in self.corrections if c["kommunenummer"] == kommunenummer]


def _resolve_run(
    store: Store,
    settings: Settings,
    round_name: str,
    run_id: int | None,
    current_hash: Callable[[], str],
    echo: Callable[[str], None],
) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    """(run, records, scored now): the run to show, scoring first when needed (see the module docstring)."""
    if run_id is not None:
        run, records = stored_results(store, round_name, run_id)
        if run["round_name"] != round_name:
            raise NotFoundError(
                f"score run {run_id} belongs to round {run['round_name']!r}, not {round_name!r}",
                hint=f"see the runs of {round_name!r} with `kommunetest score --round {round_name}`",
            )
        return run, records, False
    runs = store.score_runs(round_name)
    model = ScoringModel.model_validate(runs[-1]["model"]) if runs else model_for(settings)
    if runs:
        latest = runs[-1]
        if current_hash() == latest["inputs_hash"] and model.content_hash == latest["model_hash"]:
            run, records = stored_results(store, round_name, latest["id"])
            return run, records, False
        echo(f"observations or corrections changed since score run {latest['id']}: scoring again")
    else:
        echo(f"round {round_name} has no score run yet: scoring it under {model.version}")
    new = run_scoring(store, round_name, model)
    run, records = stored_results(store, round_name, new.run_id)
    return run, records, True


def _apply_previous(
    store: Store, records: list[dict[str, Any]], previous_round: str, model: ScoringModel, method: str
) -> None:
    """Fill the change columns of `records` from `previous_round`'s latest run (in place)."""
    prev = load_previous(store, previous_round)
    note = prev.comparison_note(model, method)
    scores = prev.scores.set_index("kommunenummer")
    for r in records:
        k = r["kommunenummer"]
        if k in scores.index:
            total = scores.at[k, "total"]
            ptotal = None if total is None or total != total else int(display_score(float(total)).item())
            prank = scores.at[k, "rank"]
            prank = None if prank is None or prank != prank else int(prank)
        else:
            ptotal = prank = None
        r["previous_total"] = ptotal
        r["previous_rank"] = prank
        r["change_total"] = r["total"] - ptotal if r["total"] is not None and ptotal is not None else None
        r["change_rank"] = prank - r["rank"] if r["rank"] is not None and prank is not None else None
        r["change_note"] = note


def load_report_data(
    store: Store,
    settings: Settings,
    round_name: str,
    *,
    run_id: int | None = None,
    previous_round: str | None = None,
    bank: QuestionBank | None = None,
    echo: Callable[[str], None] = lambda _: None,
) -> ReportData:
    """Read (and if needed score) everything the report of `round_name` shows."""
    from datetime import UTC

    rnd = store.get_round(round_name)
    probe_rows = store.probes(round_name)
    obs_rows = store.observations(round_name)
    corrections = store.corrections(round_name)
    run, records, scored_now = _resolve_run(
        store,
        settings,
        round_name,
        run_id,
        lambda: rows_inputs_hash(probe_rows, obs_rows, corrections),
        echo,
    )
    model = ScoringModel.model_validate(run["model"])
    if previous_round:
        _apply_previous(store, records, previous_round, model, run["method_version"])
    munis = {m["kommunenummer"]: m for m in store.round_municipalities(round_name)}
    n_corr: dict[str, int] = defaultdict(int)
    for c in corrections:
        if c["status"] == "accepted":
            n_corr[c["kommunenummer"]] += 1
    for r in records:
        m = munis.get(r["kommunenummer"], {})
        r["name_alt"] = m.get("name_alt")
        r["website"] = m.get("website")
        r["corrections"] = n_corr.get(r["kommunenummer"], 0)
    probes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in probe_rows:
        if p["status"] != "cancelled":
            probes[p["kommunenummer"]].append(p)
    for rows in probes.values():
        rows.sort(
            key=lambda p: (CHANNEL_ORDER.get(p["channel"], 9), p["planned_at"] is None, p["scenario_id"])
        )
    observations: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in obs_rows:
        observations[o["probe_id"]].append(o)
    evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in store.round_evidence(round_name):
        evidence[e["probe_id"]].append(e)
    probe_scores = {p["probe_id"]: p for p in store.probe_scores(run["id"])}
    if bank is None:
        try:
            from kommunetest.scenarios import load_project_scenarios

            bank = load_project_scenarios(settings)
        except Exception as e:  # a broken bank must not stop a report: titles fall back to ids
            echo(
                f"warning: the question bank could not be read ({str(e).splitlines()[0]}); showing scenario ids"
            )
            bank = None
    personas = [Persona(p.name, p.email, p.address) for p in settings.email.personas]
    return ReportData(
        round=rnd,
        run=run,
        model=model,
        records=records,
        municipalities=munis,
        probes=dict(probes),
        observations=dict(observations),
        evidence=dict(evidence),
        probe_scores=probe_scores,
        corrections=corrections,
        bank=bank,
        personas=personas,
        previous_round=previous_round,
        scored_now=scored_now,
        generated_at=datetime.now(UTC),
    )
