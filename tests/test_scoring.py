"""Scoring: hand-computed scores from a real store, the model file, re-scoring, corrections, the CLI."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kommunetest.cli import cli
from kommunetest.errors import ValidationError
from kommunetest.score_runs import run_scoring, stored_results
from kommunetest.scoring import score_email, score_phone, score_round, score_web
from kommunetest.scoring_model import ScoringModel, load_model, parse_model
from kommunetest.store import Store

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
MUNIS = {
    # kommunenummer: (name, county_number, county, population)
    "0301": ("Oslo", "03", "Oslo", 709_000),
    "4601": ("Lillevik", "46", "Vestland", 1_500),
    "5001": ("Elvedal", "50", "Trøndelag", 30_000),
    "1103": ("Stavanger", "11", "Rogaland", 145_000),
    "1108": ("Sandnes", "11", "Rogaland", 82_000),
}


def web(desktop: str | None, mobile: str | None) -> list[tuple[str, str, str | None, dict]]:
    return [
        ("desktop", "web_item", desktop, {"site_status": "ok" if desktop else "timeout"}),
        ("mobile", "web_item", mobile, {"site_status": "ok" if mobile else "timeout"}),
    ]


def email(grade: str | None, days: float | None, **extra: Any) -> list[tuple[str, str, str | None, dict]]:
    value = {"answer_days": days, "interim": False, "quality_confirmed": True, **extra}
    return [("result", "email_result", grade, value)]


def phone(grade: str, reached: bool = True, courtesy: int | None = 3, s15: bool = True, o60: bool = True):
    value = {"reached": reached, "courtesy": courtesy, "answered_within_15s": s15, "officer_within_60s": o60}
    return [("result", "phone_call", grade, value)]


# A (0301): web (80 + 10)/2 = 45; e-mail (80 + 60)/2 = 70; phone 88.4
#   w1: complete 100, partial 60 -> mean 80;   w2: absent 0, pdf_or_deep 20 -> 10
#   e1: 0.5 days -> speed 100, partial 60 -> (100 + 60)/2 = 80;   e2: 4.2 days -> speed 20, correct 100 -> 60
#   p1: quality 100×50 + reached 100×20 + courtesy 2 = 67×20 + within 15 s 100×5 + officer 0×5 = 8840/100 = 88.4
#   total = (40×45 + 30×70 + 30×88.4)/100 = (1800 + 2100 + 2652)/100 = 65.52 -> shown 66
#   sectors: technical (w1 80, e1 80) = 80; care (e2) = 60; general (w2 10, p1 88.4) = (40×10 + 30×88.4)/70 = 43.6
A = [
    ("w1", "web", "technical", web("complete", "partial")),
    ("w2", "web", "general", web("absent", "pdf_or_deep")),
    ("e1", "email", "technical", email("partial", 0.5)),
    ("e2", "email", "care", email("correct", 4.2)),
    ("p1", "phone", "general", phone("correct", courtesy=2, s15=True, o60=False)),
]
# B (4601, under 2,000 inhabitants): no phone probes at all -> weights renormalised over web and e-mail
#   w1: complete 100, mobile not checked (site down: grade None) -> 100 (not tested is not zero);  w2: 60, 60 -> 60
#   e1: 7 days -> speed 0 (late), correct within 10 days -> (0 + 100)/2 = 50
#   e2: 12 days -> speed 0, quality 0 (after 10 working days nothing counts) -> 0
#   web 80, e-mail 25: total = (40×80 + 30×25)/70 = 3950/70 = 56.43 -> 56
B = [
    ("w1", "web", "technical", web("complete", None)),
    ("w2", "web", "culture", web("partial", "partial")),
    ("e1", "email", "technical", email("correct", 7.0)),
    ("e2", "email", "care", email("correct", 12.0)),
]
# C (5001): 5 probes planned (a cancelled one does not count), 2 observed -> coverage 40 % < 60 %: not ranked
#   w1: 100; p1: not reached after the retry -> 0; e1 awaits grading (grade None); e2 unanswered so far; w2 no crawl
#   total (shown, not ranked) = (40×100 + 30×0)/70 = 57.14
C = [
    ("w1", "web", "general", web("complete", "complete")),
    ("w2", "web", "general", None),
    ("e1", "email", "general", email(None, 2.0)),
    ("e2", "email", "general", None),
    ("p1", "phone", "general", phone("none", reached=False, courtesy=None, s15=False, o60=False)),
    ("w3", "web", "general", "cancelled"),
]
# D (1103): w1 complete + absent = 50; e1 2 days -> speed 60, correct -> 80;
#   p1: partial 60×50 + reached 100×20 + courtesy 3 100×20 + 15 s no 0×5 + officer 100×5 = 7500/100 = 75
#   total = (40×50 + 30×80 + 30×75)/100 = 66.5 -> shown 67 (half up)
D = [
    ("w1", "web", "technical", web("complete", "absent")),
    ("e1", "email", "technical", email("correct", 2.0)),
    ("p1", "phone", "general", phone("partial", courtesy=3, s15=False, o60=True)),
]
# E (1108): the same as A -> 65.52, shown 66: ties with A.   Ranks: D 1, A 2, E 2, B 4 ("1, 2, 2, 4").
PLAN = {"0301": A, "4601": B, "5001": C, "1103": D, "1108": A}


def build_round(store: Store, name: str = "r1", plan: dict[str, list] | None = None) -> None:
    plan = PLAN if plan is None else plan
    store.create_round(name, start_date=date(2027, 2, 1), weeks=6, seed=1, method_version="kommunetest-2027.1",
                       sample={"kind": "list"}, scenario_ids=[], config={})  # fmt: skip
    store.add_round_municipalities(
        name,
        [
            {
                "kommunenummer": k,
                "name": n,
                "county_number": cn,
                "county": c,
                "population": p,
                "size_class": "x",
            }
            for k, (n, cn, c, p) in MUNIS.items()
            if k in plan
        ],
    )
    probes = []
    for knr, items in plan.items():
        for sid, channel, sector, obs in items:
            status = "cancelled" if obs == "cancelled" else "done"
            probes.append({"round_name": name, "kommunenummer": knr, "scenario_id": sid, "channel": channel,
                           "sector": sector, "status": status})  # fmt: skip
    store.add_probes(probes)
    for knr, items in plan.items():
        for sid, _channel, _sector, obs in items:
            for key, kind, grade, value in obs if isinstance(obs, list) else []:
                store.record_observation(f"{name}:{knr}:{sid}", key, kind=kind, grade=grade, value=value,
                                         observed_at=NOW, source="test")  # fmt: skip


def _by_number(records: list[dict]) -> dict[str, dict]:
    return {r["kommunenummer"]: r for r in records}


def test_hand_computed_scores_ranks_and_coverage(store: Store) -> None:
    build_round(store)
    run = run_scoring(store, "r1", resamples=200)
    m = run.result.municipalities.set_index("kommunenummer")
    assert m.loc["0301", "web"] == pytest.approx(45)
    assert m.loc["0301", "email"] == pytest.approx(70)
    assert m.loc["0301", "phone"] == pytest.approx(88.4)
    assert m.loc["0301", "total"] == pytest.approx(65.52)
    assert m.loc["0301", "sector_technical"] == pytest.approx(80)
    assert m.loc["0301", "sector_care"] == pytest.approx(60)
    assert m.loc["0301", "sector_general"] == pytest.approx(43.6)
    assert np.isnan(m.loc["0301", "sector_health"])  # no probe in that sector: not tested, not zero
    assert m.loc["4601", "web"] == pytest.approx(80)
    assert m.loc["4601", "email"] == pytest.approx(25)
    assert np.isnan(m.loc["4601", "phone"])
    assert m.loc["4601", "total"] == pytest.approx(3950 / 70)
    assert m.loc["5001", "planned"] == 5 and m.loc["5001", "observed"] == 2
    assert m.loc["5001", "total"] == pytest.approx(4000 / 70)
    assert m.loc["1103", "total"] == pytest.approx(66.5)

    rec = _by_number(run.records)
    assert [rec[k]["total"] for k in ("1103", "0301", "1108", "4601")] == [67, 66, 66, 56]
    assert [rec[k]["rank"] for k in ("1103", "0301", "1108", "4601")] == [1, 2, 2, 4]
    assert rec["0301"]["web"] == 45 and rec["0301"]["phone"] == 88 and rec["0301"]["sector_general"] == 44
    assert rec["4601"]["phone"] is None and rec["4601"]["small"] is True and rec["0301"]["small"] is False
    assert rec["4601"]["size_class"] == "<2000"
    assert rec["5001"]["ranked"] is False and rec["5001"]["rank"] is None and rec["5001"]["passed"] is None
    assert "40 %" in rec["5001"]["reason"] and "60 %" in rec["5001"]["reason"]
    assert rec["5001"]["coverage"] == 0.4
    assert [r["kommunenummer"] for r in run.records][-1] == "5001"  # not ranked: listed last
    assert rec["1108"]["county_rank"] == 2 and rec["1103"]["county_rank"] == 1  # both in Rogaland
    assert all(r["passed"] is False for r in run.records if r["ranked"])  # none reaches 75

    run_row, stored = stored_results(store, "r1")
    assert run_row["id"] == run.run_id and run_row["model_version"] == "kommunetest-2027.1"
    assert stored == run.records
    probe_rows = {p["probe_id"]: p for p in store.probe_scores(run.run_id, kommunenummer="0301")}
    assert probe_rows["r1:0301:p1"]["score"] == pytest.approx(88.4)
    assert probe_rows["r1:0301:w1"]["detail"] == {"web_desktop": 100, "web_mobile": 60}
    assert len(store.probe_scores(run.run_id)) == 3 + 4 + 5 + 5 + 5  # the cancelled probe is not scored


def test_the_packaged_model_states_the_defaults() -> None:
    model = load_model()
    assert model.version == "kommunetest-2027.1"
    assert model.content() == ScoringModel(version=model.version, description=model.description).content()
    assert model.channels.web == 40 and model.ranking.min_coverage == 0.6 and model.ranking.pass_mark == 75
    assert model.sectors.weights["technical"] == 27.5 and model.sectors.use_weights is False


def test_a_broken_model_file_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(
        'version: "test-1"\n'
        "web:\n"
        "  grades:\n"
        "    complete: 120\n"  # line 4: above 100
        "email:\n"
        "  speed_weigth: 0.5\n"  # line 6: a typo
        "ranking:\n"
        "  min_coverage: lots\n",  # line 8: not a number
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as info:
        load_model(path)
    problems = {p.field: p for p in info.value.problems}
    assert problems["web.grades.complete"].line == 4
    assert problems["email.speed_weigth"].line == 6
    assert "did you mean `speed_weight`" in (problems["email.speed_weigth"].hint or "")
    assert problems["ranking.min_coverage"].line == 8
    assert all(p.file == str(path) for p in info.value.problems)

    with pytest.raises(ValidationError) as info:
        parse_model("version: x\nemail:\n  speed_tiers:\n    - {within_days: 3, points: 60}\n"
                    "    - {within_days: 1, points: 100}\n", "m.yaml")  # fmt: skip
    (p,) = info.value.problems
    assert p.line == 2 and p.field == "email" and "increasing" in p.message
    with pytest.raises(ValidationError) as info:
        parse_model("version: x\nchannels: {web: 40\n", "m.yaml")
    assert info.value.problems[0].line is not None and "syntax" in info.value.problems[0].message


def _observation_dump(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [line for line in con.iterdump() if line.startswith('INSERT INTO "observations"')]
    finally:
        con.close()


def test_rescoring_with_another_model_changes_scores_but_never_observations(tmp_path: Path) -> None:
    db = tmp_path / "results" / "kommunetest.db"
    store = Store.connect(f"sqlite:///{db}", tmp_path / "results")
    build_round(store)
    before = _observation_dump(db)
    assert len(before) == 2 + 2 + 1 + 1 + 1 + 2 + 2 + 1 + 1 + 2 + 1 + 1 + 2 + 1 + 1 + 2 + 2 + 1 + 1 + 1
    first = run_scoring(store, "r1", resamples=50)
    other = parse_model("version: test-web-only\nchannels: {web: 100, phone: 0, email: 0}\n", "web-only.yaml")
    second = run_scoring(store, "r1", other, resamples=50)
    assert _observation_dump(db) == before
    assert second.run_id != first.run_id and second.created
    a1, a2 = _by_number(first.records)["0301"], _by_number(second.records)["0301"]
    assert (a1["total"], a2["total"]) == (66, 45)  # web only: A's web score
    again = run_scoring(store, "r1", other, resamples=50)
    assert (again.run_id, again.created) == (second.run_id, False)  # same inputs, same model: no new run
    runs = store.score_runs("r1")
    assert [r["model_version"] for r in runs] == ["kommunetest-2027.1", "test-web-only"]
    assert runs[0]["model_hash"] != runs[1]["model_hash"] and runs[1]["model"]["channels"]["web"] == 100
    store.close()


def test_accepted_corrections_change_scores_and_leave_observations(tmp_path: Path) -> None:
    store = Store.connect(None, tmp_path)
    build_round(store)
    before = store.observations("r1")
    store.add_correction("r1", "0301", probe_id="r1:0301:w2", observation_key="desktop", grade="complete",
                         reason="Siden fantes, søket var nede under testen", author="koordinator")  # fmt: skip
    store.add_correction("r1", "0301", probe_id="r1:0301:e2", grade="none", reason="avvist", author="k",
                         status="rejected")  # fmt: skip
    store.add_correction("r1", "5001", probe_id="r1:5001:w2", grade="partial", reason="vist fram", author="k")
    result = score_round(store, "r1")
    assert store.observations("r1") == before
    m = result.municipalities.set_index("kommunenummer")
    assert m.loc["0301", "web"] == pytest.approx((80 + 60) / 2)  # w2: (100 + 20)/2 = 60
    assert m.loc["0301", "email"] == pytest.approx(70)  # the rejected one changed nothing
    assert m.loc["5001", "observed"] == 3  # w2 observed through the correction (both sides partial)
    assert result.corrections_applied == 2
    store.close()


def _frame(rows: list[tuple[str, str, str, str | None, dict]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["probe_id", "key", "kind", "grade", "value"])


def test_email_rules_tiers_quality_limit_interim_and_combination() -> None:
    days = [0.2, 1.0, 1.01, 3.0, 5.0, 5.5, 10.0, 10.5, None]
    obs = _frame([(f"p{i}", "result", "email_result", "correct", {"answer_days": d, "quality_confirmed": True})
                  for i, d in enumerate(days)])  # fmt: skip
    model = load_model()
    out, _ = score_email(obs, model)
    assert list(out["email_speed"]) == [100, 100, 60, 60, 20, 0, 0, 0, 0]
    assert list(out["email_quality"]) == [100] * 7 + [0, 100]
    assert list(out["score"]) == [100, 100, 80, 80, 60, 50, 50, 0, 50]

    product = parse_model("version: p\nemail: {combine: product, interim_credit: 0.5, unconfirmed_quality: wait}\n",
                          "p.yaml")  # fmt: skip
    obs = _frame([
        ("a", "result", "email_result", "partial", {"answer_days": 2.0, "quality_confirmed": True}),
        ("b", "result", "email_result", "correct",
         {"answer_days": 4.0, "first_reply_days": 0.5, "interim": True, "quality_confirmed": True}),
        ("c", "result", "email_result", "correct", {"answer_days": 0.5, "quality_confirmed": False}),
        ("d", "result", "email_result", "none", {"answer_days": None, "closed_unanswered": True}),
    ])  # fmt: skip
    out, _ = score_email(obs, product)
    # a: 60 × 60 / 100 = 36; b: interim at 0.5 days earns 0.5 × 100 = 50 > 20 -> 50 × 100 / 100 = 50
    assert list(out["score"][:2]) == [36, 50]
    assert np.isnan(out["score"][2])  # waits for a person to confirm the grade
    assert out["score"][3] == 0  # closed unanswered counts as observed, zero


def test_phone_rules_and_web_combinations() -> None:
    model = load_model()
    obs = _frame([
        ("a", "result", "phone_call", "none", {"reached": False, "courtesy": None}),
        # courtesy not logged: left out, weights renormalised: (100×50 + 100×20 + 0×5 + 100×5)/80 = 93.75
        ("b", "result", "phone_call", "correct",
         {"reached": True, "answered_within_15s": False, "officer_within_60s": True}),
        ("c", "result", "phone_call", "bogus", {"reached": True}),
    ])  # fmt: skip
    out, warnings = score_phone(obs, model)
    assert out["score"][0] == 0 and out["score"][1] == pytest.approx(93.75) and np.isnan(out["score"][2])
    assert "unknown grade (bogus)" in warnings[0]

    # The phone app grades each question: quality is their mean, not the call's summary grade.
    # (100 + 60 + 0)/3 = 53.33; × 50, + reached 100 × 20, courtesy 3 → 100 × 20, 15 s 0 × 5, 60 s 0 × 5 -> /100
    obs = _frame([
        ("q", "result", "phone_call", "partial",
         {"reached": True, "courtesy": 3, "answered_within_15s": False, "officer_within_60s": False,
          "questions": {"a": "correct", "b": "partial", "c": "none"}}),
    ])  # fmt: skip
    out, _ = score_phone(obs, model)
    assert out["phone_quality"][0] == pytest.approx(160 / 3)
    assert out["score"][0] == pytest.approx((160 / 3 * 50 + 100 * 20 + 100 * 20) / 100)

    obs = _frame([("w", "desktop", "web_item", "complete", {}), ("w", "mobile", "web_item", "pdf_or_deep", {}),
                  ("v", "desktop", "web_item", None, {}), ("v", "mobile", "web_item", None, {})])  # fmt: skip
    expected = {"mean": 60, "min": 20, "max": 100, "desktop": 100, "mobile": 20}
    for how, value in expected.items():
        out, _ = score_web(obs, parse_model(f"version: x\nweb: {{combine: {how}}}\n", "x.yaml"))
        scores = dict(zip(out["probe_id"], out["score"], strict=True))
        assert scores["w"] == value, how
        assert np.isnan(scores["v"])  # neither side checked: not observed


def test_sector_weights_give_the_sector_weighted_total(tmp_path: Path) -> None:
    store = Store.connect(None, tmp_path)
    build_round(store, plan={"0301": A})
    model = parse_model("version: s\nsectors: {use_weights: true}\n", "s.yaml")
    result = score_round(store, "r1", model)
    # technical 80 × 27.5 + care 60 × 17.5 + general 43.6 × 5, over 27.5 + 17.5 + 5 = 3468 / 50
    assert result.municipalities["total"][0] == pytest.approx(69.36)
    store.close()


def test_score_command_prints_counts_and_stores_a_run(tmp_path: Path) -> None:
    store = Store.connect(None, tmp_path / "results")
    build_round(store)
    store.close()
    runner = CliRunner()
    res = runner.invoke(
        cli, ["--project", str(tmp_path), "score", "--round", "r1", "--resamples", "100", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["municipalities"], data["ranked"], data["not_ranked"], data["created"]) == (5, 4, 1, True)
    assert [r["kommunenummer"] for r in data["top"]][:3] == ["1103", "0301", "1108"]
    res = runner.invoke(cli, ["--project", str(tmp_path), "score", "--round", "r1", "--previous", "r1"])
    assert res.exit_code == 0, res.output
    assert "Stavanger" in res.output and "4 ranked, 1 not ranked" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: b\nchannels: {web: -1}\n", encoding="utf-8")
    res = runner.invoke(cli, ["--project", str(tmp_path), "score", "--round", "r1", "--model", str(bad)])
    assert isinstance(res.exception, ValidationError) and "channels.web" in str(res.exception)
