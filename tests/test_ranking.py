"""Ranking: competition ranks on displayed scores, lists, the 60 % rule, bootstrap intervals, bands, change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kommunetest.ranking import (
    Previous,
    bootstrap_totals,
    competition_ranks,
    display_score,
    not_ranked,
    rank,
    rank_result,
    ranking_list,
    results_records,
    tie_bands,
)
from kommunetest.scoring import ScoreResult, score_frames
from kommunetest.scoring_model import ScoringModel, load_model, parse_model

GRADES = ["complete", "partial", "pdf_or_deep", "absent"]
QUALITY = ["correct", "partial", "relevant", "none"]


def synthetic(
    n_munis: int = 60,
    web: int = 20,
    email: int = 4,
    phone: int = 2,
    seed: int = 7,
    missing: dict | None = None,
    model: ScoringModel | None = None,
) -> ScoreResult:
    """A round in memory: municipalities of varying skill, observations of every channel."""
    rng = np.random.default_rng(seed)
    model = model or load_model()
    counties = [("03", "Oslo"), ("11", "Rogaland"), ("46", "Vestland")]
    munis = pd.DataFrame(
        [
            {"kommunenummer": f"{1000 + i:04d}", "name": f"Kommune {i:03d}", "county_number": counties[i % 3][0],
             "county": counties[i % 3][1], "population": int(500 + 4000 * i)}
            for i in range(n_munis)
        ]
    )  # fmt: skip
    probes, obs = [], []
    for i, knr in enumerate(munis["kommunenummer"]):
        skill = rng.beta(4, 3)
        for channel, n in (("web", web), ("email", email), ("phone", phone)):
            for j in range(n):
                pid = f"r:{knr}:{channel}{j}"
                probes.append(
                    (pid, knr, f"{channel}{j}", channel, ["technical", "care", "general"][j % 3], "done", 1.0)
                )
                if missing and j >= missing.get(knr, {}).get(channel, n):
                    continue
                level = lambda skill=skill: int(rng.binomial(3, 1 - skill))  # noqa: E731
                if channel == "web":
                    obs += [(pid, k, "web_item", GRADES[level()], {}) for k in ("desktop", "mobile")]
                elif channel == "email":
                    obs.append((pid, "result", "email_result", QUALITY[level()],
                                {"answer_days": float(rng.exponential(3)), "quality_confirmed": True}))  # fmt: skip
                else:
                    obs.append((pid, "result", "phone_call", QUALITY[level()],
                                {"reached": True, "courtesy": 3 - level(), "answered_within_15s": True,
                                 "officer_within_60s": bool(rng.random() < skill)}))  # fmt: skip
        del i
    pcols = ["probe_id", "kommunenummer", "scenario_id", "channel", "sector", "status", "weight"]
    ocols = ["probe_id", "key", "kind", "grade", "value"]
    scored, municipalities, warnings = score_frames(
        pd.DataFrame(probes, columns=pcols), pd.DataFrame(obs, columns=ocols), munis, model
    )
    return ScoreResult("r", model.version, model, scored, municipalities, warnings=warnings)


def test_competition_ranks_share_the_rank_of_the_displayed_score() -> None:
    assert list(competition_ranks(np.array([90, 90, 80]))) == [1, 1, 3]
    assert list(competition_ranks(np.array([50, 70, 70, 70, 10]))) == [4, 1, 1, 1, 5]
    shown = display_score(np.array([89.5, 90.49, 89.49, 74.5, np.nan]))
    assert list(shown[:4]) == [90, 90, 89, 75] and np.isnan(shown[4])
    assert list(competition_ranks(shown[:3].astype(int))) == [1, 1, 3]
    # groups rank separately; a [B, M] matrix ranks each row
    assert list(competition_ranks(np.array([60, 80, 70, 90]), np.array([0, 1, 0, 1]))) == [2, 2, 1, 1]
    both = competition_ranks(np.array([[1, 2, 3], [3, 3, 1]]))
    assert both.tolist() == [[3, 2, 1], [1, 1, 3]]


def test_ranks_in_records_are_consistent_with_scores() -> None:
    result = synthetic(n_munis=120)
    records = results_records(rank_result(result, resamples=200))
    ranked = [r for r in records if r["ranked"]]
    assert len(ranked) == 120
    assert [r["rank"] for r in ranked] == sorted(r["rank"] for r in ranked)  # in rank order
    totals = [r["total"] for r in ranked]
    assert totals == sorted(totals, reverse=True)
    for r in ranked:
        assert r["rank"] == 1 + sum(o["total"] > r["total"] for o in ranked)  # competition rank
        assert r["rank_low"] <= r["rank"] <= r["rank_high"]
        assert r["passed"] == (r["total"] >= 75)
    ties = [r for r in ranked if sum(o["total"] == r["total"] for o in ranked) > 1]
    assert ties, "the synthetic round has ties"
    for r in ties:
        assert all(o["rank"] == r["rank"] for o in ranked if o["total"] == r["total"])
    for county in ("03", "11", "46"):
        mine = [r for r in ranked if r["county_number"] == county]
        for r in mine:
            assert r["county_rank"] == 1 + sum(o["total"] > r["total"] for o in mine)


def test_the_60_percent_rule_and_renormalisation_over_missing_channels() -> None:
    # 1000: 12 of 26 probes observed (46 %) -> not ranked; 1001: no e-mail or phone observed (20 of 26 = 77 %)
    missing = {"1000": {"web": 10, "email": 2, "phone": 0}, "1001": {"email": 0, "phone": 0}}
    result = synthetic(n_munis=10, missing=missing)
    ranked = rank(result.municipalities, model=result.model)
    row = ranked.set_index("kommunenummer")
    assert not row.loc["1000", "ranked"] and "46 %" in row.loc["1000", "reason"]
    assert np.isnan(row.loc["1000", "rank"])
    assert row.loc["1001", "ranked"] and row.loc["1001", "coverage"] == pytest.approx(20 / 26)
    assert row.loc["1001", "total"] == pytest.approx(row.loc["1001", "web"])  # only web observed: web is all
    assert sorted(ranked.loc[ranked["ranked"], "rank"].astype(int))[-1] <= 9
    assert list(not_ranked(ranked)["kommunenummer"]) == ["1000"]
    assert row.loc["1000", "small"] and not row.loc["1005", "small"]  # population 500 < 2,000


def test_bootstrap_intervals_contain_the_estimate_and_shrink_with_more_probes() -> None:
    few = synthetic(n_munis=30, web=8, email=3, phone=2, seed=3)
    many = synthetic(n_munis=30, web=80, email=30, phone=20, seed=3)
    widths = []
    for result in (few, many):
        samples = bootstrap_totals(result, 1000, seed=1)
        assert samples.shape == (1000, 30)
        df = rank(result.municipalities, model=result.model, samples=samples)
        assert (df["score_low"] <= df["total"]).all() and (df["total"] <= df["score_high"]).all()
        assert (df["score_low"] < df["score_high"]).mean() > 0.9  # a flawless municipality has no spread
        widths.append((df["score_high"] - df["score_low"]).mean())
    assert widths[1] < widths[0] * 0.5  # ten times the probes: about a third of the width
    a, b = bootstrap_totals(few, 100, seed=5), bootstrap_totals(few, 100, seed=5)
    assert np.array_equal(a, b)  # seeded: reproducible
    # a municipality whose probes all score the same has no uncertainty
    same = synthetic(n_munis=3, seed=1)
    same.probes["score"] = np.where(same.probes["observed"], 50.0, np.nan)
    assert np.allclose(bootstrap_totals(same, 50), 50)


def test_bootstrap_follows_the_model_with_sector_weights() -> None:
    model = parse_model("version: s\nsectors: {use_weights: true}\n", "s.yaml")
    plain, weighted = synthetic(n_munis=20, seed=11), synthetic(n_munis=20, seed=11, model=model)
    assert np.abs(plain.municipalities["total"] - weighted.municipalities["total"]).max() > 3
    for result in (plain, weighted):
        mean = bootstrap_totals(result, 400, seed=2).mean(axis=0)
        # each bootstrap sits around the point estimate of its own model
        assert np.abs(mean - result.municipalities["total"]).max() < 1
    cols = ["probe_id", "kommunenummer", "scenario_id", "channel", "sector", "status", "weight"]
    _, municipalities, _ = score_frames(
        weighted.probes.assign(status="done")[cols],
        pd.DataFrame(columns=["probe_id", "key", "kind", "grade", "value"]),
        weighted.municipalities,
        model,
    )
    assert municipalities["total"].isna().all()  # nothing observed: no totals, not zeros


def test_statistically_tied_bands_follow_the_leader() -> None:
    rank_ = np.array([1, 2, 3, 4, 5, 6])
    low = np.array([1, 1, 2, 4, 4, 6])
    high = np.array([3, 4, 5, 6, 6, 6])
    assert tie_bands(rank_, low, high).tolist() == [1, 1, 1, 2, 2, 2]
    df = rank_result(synthetic(n_munis=80), resamples=300)
    bands = df.loc[df["ranked"], "band"].to_numpy()
    assert bands[0] == 1 and (np.diff(bands) >= 0).all() and bands[-1] > 1


def test_lists_and_change_since_a_previous_round() -> None:
    result = synthetic(n_munis=30)
    now = rank(result.municipalities, model=result.model, method_version=result.method_version)
    prev_scores = now[["kommunenummer", "total", "rank"]].copy()
    prev_scores["total"] = prev_scores["total"] - 5
    prev_scores.loc[0, "rank"] = 30
    same = Previous("r0", prev_scores, result.model.version, result.model.content_hash, result.method_version)
    df = rank(result.municipalities, model=result.model, previous=same, method_version=result.method_version)
    rec = results_records(df)
    first = next(r for r in rec if r["kommunenummer"] == now.loc[0, "kommunenummer"])
    assert first["previous_rank"] == 30 and first["change_rank"] == 30 - first["rank"]
    assert all(r["change_note"] is None for r in rec)
    assert all(abs(r["change_total"] - 5) <= 1 for r in rec)  # rounded figures differ by 5 ± rounding
    other = Previous("r0", prev_scores, "kommunetest-2016", "x", "kommunetest-2016")
    df = rank(result.municipalities, model=result.model, previous=other, method_version=result.method_version)
    assert df["change_note"].str.contains("metoden er endret").all()

    county = ranking_list(now, county="Rogaland")
    assert set(county["county_number"]) == {"11"} and county["list_rank"].iloc[0] == 1
    size = ranking_list(now, size_class=">=20000")
    assert (size["population"] >= 20000).all() and list(size["list_rank"]) == sorted(size["list_rank"])
