"""Observations -> scores, with pandas and numpy: probe scores 0–100, channel and sector scores, totals.

Scoring reads probes, observations and accepted corrections (see docs/observations.md) and never writes them.
"Not tested is not zero": a probe without a usable observation is left out, and weights are renormalised over
what was observed. How totals are built from per-cell sums (`cell_totals`) is shared with the bootstrap in
`kommunetest.ranking`, so the intervals are computed by exactly the rules that made the point estimates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kommunetest.register import size_class_for
from kommunetest.scenarios import CHANNELS, SECTORS
from kommunetest.scoring_model import ScoringModel, load_model
from kommunetest.store import Store

SCORED_KINDS = {"web": "web_item", "email": "email_result", "phone": "phone_call"}
WEB_KEYS = ("desktop", "mobile")
MUNICIPALITY_COLUMNS = ("kommunenummer", "name", "county_number", "county", "population")
# The parts a probe score is made of (NaN where they do not apply); the report shows them with the evidence.
DETAIL_COLUMNS = (
    "web_desktop",
    "web_mobile",
    "email_speed",
    "email_quality",
    "email_answer_days",
    "email_confirmed",
    "phone_quality",
    "phone_reached",
    "phone_courtesy",
)


@dataclass
class ScoreResult:
    """Scores of one round under one model.

    `probes`: one row per planned (not cancelled) probe: probe_id, kommunenummer, scenario_id, channel, sector,
    weight, observed, score (NaN when not observed) and the parts of the score (web_desktop, web_mobile,
    email_speed, email_quality, email_answer_days, phone_quality, phone_reached, phone_courtesy...).
    `municipalities`: one row per municipality of the round: register columns, size_class, planned, observed,
    coverage (0–1), n_web/n_email/n_phone, web/email/phone, sector_<id> and total (exact, 0–100, NaN when
    nothing was observed).
    """

    round_name: str
    method_version: str
    model: ScoringModel
    probes: pd.DataFrame
    municipalities: pd.DataFrame
    inputs_hash: str = ""
    warnings: list[str] = field(default_factory=list)
    corrections_applied: int = 0


# --- loading -------------------------------------------------------------------------------------------


def _probe_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["probe_id", "kommunenummer", "scenario_id", "channel", "sector", "status", "weight"]
    data = [
        (
            r["id"],
            r["kommunenummer"],
            r["scenario_id"],
            r["channel"],
            r["sector"],
            r["status"],
            float((r.get("details") or {}).get("weight", 1.0)),
        )
        for r in rows
        if r["status"] != "cancelled"
    ]
    return pd.DataFrame(data, columns=cols)


def _observation_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=["probe_id", "key", "kind", "grade", "value"])


def apply_corrections(
    obs: pd.DataFrame, probes: pd.DataFrame, corrections: list[dict[str, Any]]
) -> tuple[pd.DataFrame, int]:
    """Overlay accepted corrections on a copy of the observations: a new grade and/or changed value fields.
    A correction for a probe without an observation adds one (the municipality showed what was missing)."""
    todo = [
        c for c in corrections if c["status"] == "accepted" and c["probe_id"] and (c["grade"] or c["value"])
    ]
    if not todo:
        return obs, 0
    obs = obs.copy()
    channel_of = dict(zip(probes["probe_id"], probes["channel"], strict=True))
    extra: list[dict[str, Any]] = []
    for c in todo:
        channel = channel_of.get(c["probe_id"])
        if channel is None:
            continue
        kind = SCORED_KINDS[channel]
        mask = (obs["probe_id"] == c["probe_id"]) & (obs["kind"] == kind)
        if c["observation_key"]:
            mask &= obs["key"] == c["observation_key"]
        if mask.any():
            if c["grade"]:
                obs.loc[mask, "grade"] = c["grade"]
            if c["value"]:
                obs.loc[mask, "value"] = pd.Series(
                    [{**(v or {}), **c["value"]} for v in obs.loc[mask, "value"]], index=obs.index[mask]
                )
        else:
            default_keys = WEB_KEYS if channel == "web" else ("result",)
            for key in [c["observation_key"]] if c["observation_key"] else default_keys:
                extra.append(
                    {
                        "probe_id": c["probe_id"],
                        "key": key,
                        "kind": kind,
                        "grade": c["grade"],
                        "value": c["value"],
                    }
                )
    if extra:
        obs = pd.concat([obs, pd.DataFrame(extra)], ignore_index=True)
    return obs, len(todo)


def inputs_hash(probes: pd.DataFrame, obs: pd.DataFrame, corrections: list[dict[str, Any]]) -> str:
    """What was scored, as one hash: identical inputs under an identical model need no new score run."""
    ordered = obs.sort_values(["probe_id", "key"])[["probe_id", "key", "kind", "grade", "value"]]
    payload = {
        "probes": probes[["probe_id", "channel", "sector", "status", "weight"]].values.tolist(),
        "observations": ordered.values.tolist(),
        "corrections": [[c["id"], c["status"], c["grade"], c["value"]] for c in corrections],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def rows_inputs_hash(
    probes: list[dict[str, Any]], observations: list[dict[str, Any]], corrections: list[dict[str, Any]]
) -> str:
    """`inputs_hash` from store rows already read (any observation kinds; the scored ones are kept), so a
    caller that has the rows can tell whether the latest score run is current without reading them again."""
    kinds = set(SCORED_KINDS.values())
    scored = [o for o in observations if o["kind"] in kinds]
    return inputs_hash(_probe_frame(probes), _observation_frame(scored), corrections)


# --- probe scores --------------------------------------------------------------------------------------


def _field(values: pd.Series, name: str) -> np.ndarray:
    """A numeric field of the JSON values (bools as 0/1); NaN where missing or not a number."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        x = v.get(name) if isinstance(v, dict) else None
        if isinstance(x, bool | int | float):
            out[i] = float(x)
    return out


def _grade_points(grades: pd.Series, table: dict[str, float]) -> np.ndarray:
    return grades.map(table).astype(float).to_numpy()


def _question_points(values: pd.Series, grades: pd.Series, table: dict[str, float]) -> np.ndarray:
    """A call's quality: the mean of its questions' points where the tester graded each question (the phone
    app does), else the points of the call's one grade. Unreached calls have no questions: their grade."""
    out = _grade_points(grades, table)
    for i, v in enumerate(values):
        qs = v.get("questions") if isinstance(v, dict) else None
        if isinstance(qs, dict) and qs and v.get("reached") is not False:
            points = [table[g] for g in qs.values() if g in table]
            if len(points) == len(qs):
                out[i] = sum(points) / len(points)
    return out


def _unknown_grades(frame: pd.DataFrame, table: dict[str, float], what: str) -> list[str]:
    bad = frame["grade"].dropna()
    bad = bad[~bad.isin(list(table))]
    if bad.empty:
        return []
    shown = ", ".join(sorted(map(str, bad.unique()))[:5])
    return [f"{len(bad)} {what} observations have an unknown grade ({shown}); they count as not observed"]


def score_web(obs: pd.DataFrame, model: ScoringModel) -> tuple[pd.DataFrame, list[str]]:
    table = model.web.grades.model_dump()
    w = obs[(obs["kind"] == SCORED_KINDS["web"]) & obs["key"].isin(WEB_KEYS)]
    warnings = _unknown_grades(w, table, "web")
    w = w.assign(points=_grade_points(w["grade"], table))
    sides = w.set_index(["probe_id", "key"])["points"].unstack("key").reindex(columns=list(WEB_KEYS))
    d, m = sides["desktop"].to_numpy(float), sides["mobile"].to_numpy(float)
    how = model.web.combine
    if how in ("desktop", "mobile"):
        score = d if how == "desktop" else m
    elif how == "min":
        score = np.fmin(d, m)  # fmin/fmax ignore a side that was not checked
    elif how == "max":
        score = np.fmax(d, m)
    else:
        n = (~np.isnan(d)).astype(int) + (~np.isnan(m)).astype(int)
        score = np.where(n > 0, (np.nan_to_num(d) + np.nan_to_num(m)) / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {"probe_id": sides.index, "score": score, "web_desktop": d, "web_mobile": m}
    ), warnings


def _speed_points(days: np.ndarray, model: ScoringModel) -> np.ndarray:
    limits = np.array([t.within_days for t in model.email.speed_tiers])
    points = np.array([t.points for t in model.email.speed_tiers] + [model.email.late_points])
    idx = np.searchsorted(limits, np.nan_to_num(days, nan=np.inf), side="left")
    return np.where(np.isnan(days), 0.0, points[idx])


def score_email(obs: pd.DataFrame, model: ScoringModel) -> tuple[pd.DataFrame, list[str]]:
    rules = model.email
    table = rules.quality.model_dump()
    e = obs[(obs["kind"] == SCORED_KINDS["email"]) & (obs["key"] == "result")]
    warnings = _unknown_grades(e, table, "e-mail")
    answer = _field(e["value"], "answer_days")
    first = _field(e["value"], "first_reply_days")
    interim = _field(e["value"], "interim") == 1
    confirmed = (_field(e["value"], "quality_confirmed") == 1) | (
        _field(e["value"], "closed_unanswered") == 1
    )
    quality = _grade_points(e["grade"], table)
    observed = ~np.isnan(quality)
    if rules.unconfirmed_quality == "wait":
        observed &= confirmed
    speed = _speed_points(answer, model)
    if rules.interim_credit > 0:
        speed = np.maximum(speed, np.where(interim, rules.interim_credit * _speed_points(first, model), 0.0))
    if rules.quality_within_days is not None:
        quality = np.where(answer > rules.quality_within_days, 0.0, quality)  # NaN days compare False
    if rules.combine == "product":
        score = speed * quality / 100.0
    else:
        score = (rules.speed_weight * speed + rules.quality_weight * quality) / (
            rules.speed_weight + rules.quality_weight
        )
    frame = pd.DataFrame(
        {
            "probe_id": e["probe_id"].to_numpy(),
            "score": np.where(observed, score, np.nan),
            "email_speed": speed,
            "email_quality": quality,
            "email_answer_days": answer,
            "email_confirmed": confirmed,
        }
    )
    return frame, warnings


def score_phone(obs: pd.DataFrame, model: ScoringModel) -> tuple[pd.DataFrame, list[str]]:
    rules = model.phone
    table = rules.quality.model_dump()
    p = obs[(obs["kind"] == SCORED_KINDS["phone"]) & (obs["key"] == "result")]
    warnings = _unknown_grades(p, table, "phone")
    courtesy_raw = _field(p["value"], "courtesy")
    courtesy = pd.Series(courtesy_raw).map({float(k): v for k, v in rules.courtesy.items()}).to_numpy(float)
    reached = _field(p["value"], "reached")
    parts = {
        "quality": _question_points(p["value"], p["grade"], table),
        "reached": reached * 100.0,
        "courtesy": courtesy,
        "answered_within_15s": _field(p["value"], "answered_within_15s") * 100.0,
        "officer_within_60s": _field(p["value"], "officer_within_60s") * 100.0,
    }
    weights = rules.weights.model_dump()
    values = np.vstack([parts[k] for k in weights])
    w = np.array(list(weights.values()))[:, None] * ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.nansum(values * w, axis=0) / w.sum(axis=0)
    if rules.unreached_is_zero:
        score = np.where(reached == 0, 0.0, score)
    score = np.where(np.isnan(parts["quality"]), np.nan, score)
    frame = pd.DataFrame(
        {
            "probe_id": p["probe_id"].to_numpy(),
            "score": score,
            "phone_quality": parts["quality"],
            "phone_reached": reached,
            "phone_courtesy": courtesy,
        }
    )
    return frame, warnings


def score_probes(
    probes: pd.DataFrame, obs: pd.DataFrame, model: ScoringModel
) -> tuple[pd.DataFrame, list[str]]:
    """One row per probe with its score (NaN: not observed) and the parts it was made of."""
    parts, warnings = [], []
    for channel, fn in (("web", score_web), ("email", score_email), ("phone", score_phone)):
        frame, warn = fn(obs, model)
        frame = frame[frame["probe_id"].isin(probes.loc[probes["channel"] == channel, "probe_id"])]
        parts.append(frame)
        warnings += warn
    scored = (
        pd.concat([p for p in parts if not p.empty], ignore_index=True)
        if any(len(p) for p in parts)
        else None
    )
    out = probes.drop(columns=["status"]).reset_index(drop=True)
    if scored is None:
        out["score"] = np.nan
    else:
        out = out.merge(scored, on="probe_id", how="left")
    for col in DETAIL_COLUMNS:
        if col not in out:
            out[col] = np.nan
    out["score"] = out["score"].astype(float).clip(0, 100)
    out["observed"] = out["score"].notna()
    return out, warnings


# --- aggregation ---------------------------------------------------------------------------------------


def cell_totals(
    sum_ws: np.ndarray, sum_w: np.ndarray, model: ScoringModel, sectors: tuple[str, ...] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(total [..., M], channel means [..., M, C], sector scores [..., M, S]) from weighted sums per cell.

    Cells are [..., M, S, C] (municipality, sector, channel; `sectors` None means one pooled sector). A
    sector score is the channel-weighted mean of its channels observed; the total is the channel-weighted
    mean of the channel means, or with sector weights on, the sector-weighted mean of the sector scores;
    both renormalised over what was observed (NaN when nothing was)."""
    cw = np.array([model.channel_weight(c) for c in CHANNELS])
    with np.errstate(invalid="ignore", divide="ignore"):
        channel = sum_ws.sum(axis=-2) / sum_w.sum(axis=-2)
        cell = sum_ws / sum_w
        seen = ~np.isnan(cell) * cw
        sector = np.nansum(np.nan_to_num(cell) * cw, axis=-1) / seen.sum(axis=-1)
        if model.sectors.use_weights and sectors is not None:
            sw = np.array([model.sectors.weight(s) for s in sectors])
            sseen = ~np.isnan(sector) * sw
            total = np.nansum(np.nan_to_num(sector) * sw, axis=-1) / sseen.sum(axis=-1)
        else:
            cseen = ~np.isnan(channel) * cw
            total = np.nansum(np.nan_to_num(channel) * cw, axis=-1) / cseen.sum(axis=-1)
    return total, channel, sector


def cell_index(probes: pd.DataFrame, numbers: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(municipality, sector, channel) index of each probe row, against `numbers` and SECTORS, CHANNELS."""
    m = numbers.get_indexer(probes["kommunenummer"])
    s = pd.Index(SECTORS).get_indexer(probes["sector"])
    c = pd.Index(CHANNELS).get_indexer(probes["channel"])
    return m, s, c


def aggregate(probes: pd.DataFrame, munis: pd.DataFrame, model: ScoringModel) -> pd.DataFrame:
    """Per municipality: coverage, channel scores, sector scores and the total."""
    numbers = pd.Index(munis["kommunenummer"])
    M, S, C = len(numbers), len(SECTORS), len(CHANNELS)
    m, s, c = cell_index(probes, numbers)
    known = (m >= 0) & (s >= 0) & (c >= 0)
    obs = known & probes["observed"].to_numpy()
    flat = (m * S + s) * C + c
    w = probes["weight"].to_numpy(float)
    x = np.nan_to_num(probes["score"].to_numpy(float))
    sum_ws = np.bincount(flat[obs], weights=(w * x)[obs], minlength=M * S * C).reshape(M, S, C)
    sum_w = np.bincount(flat[obs], weights=w[obs], minlength=M * S * C).reshape(M, S, C)
    total, channel, sector = cell_totals(sum_ws, sum_w, model, SECTORS)
    planned = np.bincount(m[known], minlength=M)
    observed = np.bincount(m[obs], minlength=M)
    out = munis.loc[:, list(MUNICIPALITY_COLUMNS)].reset_index(drop=True).copy()
    out["size_class"] = [size_class_for(int(p)) for p in out["population"]]
    out["planned"] = planned
    out["observed"] = observed
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage"] = np.where(planned > 0, observed / np.maximum(planned, 1), np.nan)
    for j, ch in enumerate(CHANNELS):
        out[f"n_{ch}"] = np.bincount(m[obs & (c == j)], minlength=M)
        out[ch] = channel[:, j]
    for j, sec in enumerate(SECTORS):
        out[f"sector_{sec}"] = sector[:, j]
    out["total"] = total
    return out


def score_frames(
    probes: pd.DataFrame, obs: pd.DataFrame, munis: pd.DataFrame, model: ScoringModel
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The pure part of scoring: frames in, (probe scores, municipality scores, warnings) out."""
    scored, warnings = score_probes(probes, obs, model)
    stray = sorted(set(scored["kommunenummer"]) - set(munis["kommunenummer"]))
    if stray:
        warnings.append(f"probes for municipalities not in the round are ignored: {', '.join(stray[:10])}")
    return scored, aggregate(scored, munis, model), warnings


def score_round(store: Store, round_name: str, model: ScoringModel | None = None) -> ScoreResult:
    """Score a round from the store under `model` (default: the packaged model). Writes nothing."""
    model = model or load_model()
    rnd = store.get_round(round_name)
    munis = pd.DataFrame(
        store.round_municipalities(round_name), columns=[*MUNICIPALITY_COLUMNS, "size_class"]
    )
    probes = _probe_frame(store.probes(round_name))
    obs = _observation_frame(
        [r for k in SCORED_KINDS.values() for r in store.observations(round_name, kind=k)]
    )
    corrections = store.corrections(round_name)
    digest = inputs_hash(probes, obs, corrections)
    obs, applied = apply_corrections(obs, probes, corrections)
    scored, municipalities, warnings = score_frames(probes, obs, munis, model)
    if model.version != rnd["method_version"]:
        warnings.append(
            f"the round was planned under method {rnd['method_version']!r}, the scoring model is {model.version!r}"
        )
    return ScoreResult(
        round_name=round_name,
        method_version=rnd["method_version"],
        model=model,
        probes=scored,
        municipalities=municipalities,
        inputs_hash=digest,
        warnings=warnings,
        corrections_applied=applied,
    )
