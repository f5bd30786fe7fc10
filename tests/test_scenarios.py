"""The question bank: the shipped files, the models' rules, located problems, rendering, and the CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError as PydanticValidationError

from kommunetest.cli import cli
from kommunetest.errors import NotFoundError, Problem, UsageError, ValidationError
from kommunetest.scenarios import (
    CHANNELS,
    FACT_KINDS,
    PLACEHOLDERS,
    SAMPLE_PERSONA,
    SECTORS,
    ExpectedFact,
    QuestionBank,
    Scenario,
    json_schema,
    load_scenarios,
    render_email,
    scenarios_pattern,
    validate_scenarios,
)
from kommunetest.settings import REPO_ROOT, load_settings

BANK_DIR = REPO_ROOT / "scenarios"

GOOD_EMAIL = """\
  - id: good-one
    channel: email
    sector: culture
    title: Bibliotek
    email:
      subject: [Åpningstider]
      body: ["Hei, når er biblioteket i {municipality} åpent? Hilsen {persona_name}"]
      answer_key:
        expected_facts:
          - kind: opening_hours
"""


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_scenarios("*.yaml", BANK_DIR)


def write(dir: Path, name: str, text: str) -> Path:
    path = dir / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(pattern: str | Path, base: Path) -> list[Problem]:
    with pytest.raises(ValidationError) as exc:
        load_scenarios(pattern, base)
    return exc.value.problems


def the_problem(problems: list[Problem], field: str) -> Problem:
    found = [p for p in problems if p.field == field]
    assert found, f"no problem at {field}: {[str(p) for p in problems]}"
    return found[0]


# ---------------------------------------------------------------- the shipped bank


def test_shipped_bank_sizes_and_ids(bank: QuestionBank) -> None:
    assert len(bank.by_channel("email")) >= 10
    assert len(bank.by_channel("web")) == 24
    assert len(bank.by_channel("phone")) >= 5
    assert len(set(bank.ids)) == len(bank)
    assert {s.sector for s in bank} <= set(SECTORS)
    assert {s.channel for s in bank} == set(CHANNELS)
    assert {f.name for f in bank.files} == {"email.yaml", "web.yaml", "phone.yaml"}
    for s in bank:
        assert s.file and s.line and s.spec is getattr(s, s.channel)


def test_shipped_bank_covers_method(bank: QuestionBank) -> None:
    emails = bank.by_channel("email")
    assert all(len(s.email.subject) >= 2 and len(s.email.body) >= 2 for s in emails if s.email)
    assert sum(1 for s in emails if s.email and s.email.follow_up) >= 3
    web = bank.by_channel("web")
    kinds = {s.web.fact_kind for s in web if s.web}
    assert kinds == {*FACT_KINDS, "presence"}
    for s in web:
        assert s.web and s.web.terms.nb and s.web.terms.nn
    for s in bank.by_channel("phone"):
        assert s.phone and len(s.phone.questions) >= 2


def test_every_template_renders(bank: QuestionBank) -> None:
    for s in bank.by_channel("email"):
        assert s.email is not None
        for variant in range(s.email.variant_count):
            for follow_up in (False, True) if s.email.follow_up else (False,):
                subject, body = render_email(s, variant, SAMPLE_PERSONA, "Bodø", follow_up=follow_up)
                assert subject and "\n" not in subject
                assert "{" not in subject + body and "}" not in subject + body, s.id
                assert body.endswith("\n") and len(body) > 40


def test_committed_schema_is_current() -> None:
    committed = json.loads((BANK_DIR / "scenario.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema()


def test_schema_accepts_shipped_files_and_rejects_wrong_block() -> None:
    schema = json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("email.yaml", "web.yaml", "phone.yaml"):
        text = (BANK_DIR / name).read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=scenario.schema.json\n")
        assert not list(validator.iter_errors(yaml.safe_load(text))), name
    bad = yaml.safe_load("scenarios:\n" + GOOD_EMAIL.replace("email:\n      subject", "web:\n      subject"))
    assert list(validator.iter_errors(bad))


# ---------------------------------------------------------------- broken inputs, located


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "scenarios:\n  - id: x\n    subject: [Hei {persona_name}]\n")
    [p] = problems_of("*.yaml", tmp_path)
    assert p.file.endswith("a.yaml") and p.line == 3
    assert "column" in p.message and p.hint and "quote" in p.hint


def test_unknown_channel(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "scenarios:\n" + GOOD_EMAIL.replace("channel: email", "channel: emial"))
    p = the_problem(problems_of("a.yaml", tmp_path), "scenarios[0].channel")
    assert p.line == 3 and p.file.endswith("a.yaml") and "email" in (p.hint or "")


def test_email_without_answer_key(tmp_path: Path) -> None:
    text = "scenarios:\n" + GOOD_EMAIL.split("      answer_key:")[0]
    write(tmp_path, "a.yaml", text)
    p = the_problem(problems_of("a.yaml", tmp_path), "scenarios[0].email.answer_key")
    assert p.line == 6  # the `email:` mapping, since the key itself is missing
    assert "answer_key" in (p.hint or "")


def test_empty_answer_key(tmp_path: Path) -> None:
    text = "scenarios:\n" + GOOD_EMAIL.split("        expected_facts:")[0].replace(
        "answer_key:", "answer_key: {}"
    )
    write(tmp_path, "a.yaml", text)
    p = the_problem(problems_of("a.yaml", tmp_path), "scenarios[0].email.answer_key")
    assert p.line == 9 and "empty" in p.message


def test_unknown_placeholder(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "scenarios:\n" + GOOD_EMAIL.replace("{persona_name}", "{persona_nam}"))
    p = the_problem(problems_of("a.yaml", tmp_path), "scenarios[0].email.body[0]")
    assert p.line == 8 and "{persona_nam}" in p.message and "{persona_name}" in (p.hint or "")


def test_params_are_placeholders(tmp_path: Path) -> None:
    text = GOOD_EMAIL.replace("{persona_name}", "{child_age}").replace(
        "      answer_key", "      params:\n        child_age: [6, 7]\n      answer_key"
    )
    write(tmp_path, "a.yaml", "scenarios:\n" + text)
    bank = load_scenarios("a.yaml", tmp_path)
    s = bank.get("good-one")
    assert render_email(s, 1, SAMPLE_PERSONA, "Bodø")[1].strip().endswith("Hilsen 7")


def test_duplicate_id_reported_in_both_places(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "scenarios:\n" + GOOD_EMAIL)
    write(tmp_path, "b.yaml", "# another file\nscenarios:\n" + GOOD_EMAIL)
    problems = [p for p in problems_of("*.yaml", tmp_path) if "duplicate id" in p.message]
    assert {(Path(p.file).name, p.line, p.field) for p in problems} == {
        ("a.yaml", 2, "scenarios[0].id"),
        ("b.yaml", 3, "scenarios[0].id"),
    }


def test_misspelled_field(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "scenarios:\n" + GOOD_EMAIL.replace("subject:", "subjekt:"))
    problems = problems_of("a.yaml", tmp_path)
    p = the_problem(problems, "scenarios[0].email.subjekt")
    assert p.line == 7 and "did you mean `subject`" in (p.hint or "")
    assert the_problem(problems, "scenarios[0].email.subject").line == 6  # and `subject` is missing


def test_wrong_type(tmp_path: Path) -> None:
    text = GOOD_EMAIL.replace("title: Bibliotek", "title: Bibliotek\n    weight: heavy")
    text = text.replace("subject: [Åpningstider]", "subject: Åpningstider")
    write(tmp_path, "a.yaml", "scenarios:\n" + text)
    problems = problems_of("a.yaml", tmp_path)
    assert the_problem(problems, "scenarios[0].weight").line == 6
    p = the_problem(problems, "scenarios[0].email.subject")
    assert p.line == 8 and "list" in p.message.lower() and "- item" in (p.hint or "")


def test_wrong_block_for_channel(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "scenarios:\n" + GOOD_EMAIL.replace("    email:", "    web:"))
    problems = problems_of("a.yaml", tmp_path)
    wrong = the_problem(problems, "scenarios[0].web")
    assert wrong.line == 6 and "does not belong" in wrong.message
    assert the_problem(problems, "scenarios[0].email").line == 2
    assert not [p for p in problems if (p.field or "").startswith("scenarios[0].web.")]  # no noise inside it


def test_semantic_checks_of_valid_structures(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
        scenarios:
          - id: w
            channel: web
            sector: general
            title: T
            web:
              item: x
              terms: {nb: [a], nn: [a]}
              fact_kind: price
              grading:
                complete_requires:
                  - any_of: {nb: [a], nn: [a]}
          - id: p
            channel: phone
            sector: general
            title: T
            phone:
              theme: x
              call_to: switchboard
              questions:
                - {id: q, text: a}
                - {id: q, text: b}
              log:
                - {id: notes, label: x}
        """,
    )
    problems = problems_of("a.yaml", tmp_path)
    assert the_problem(problems, "scenarios[0].web.grading.complete_requires").line == 11
    assert the_problem(problems, "scenarios[1].phone.questions[1].id").line == 22
    assert the_problem(problems, "scenarios[1].phone.log[0].id").line == 24


def test_file_level_problems(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "# nothing yet\n")
    write(tmp_path, "list.yaml", "- id: x\n")
    write(
        tmp_path,
        "dup.yaml",
        "scenarios:\n" + GOOD_EMAIL.replace("    sector: culture", "    sector: culture\n    sector: health"),
    )
    bank, problems = validate_scenarios("*.yaml", tmp_path)
    assert bank is None
    by_file = {Path(p.file).name: p for p in problems}
    assert "empty" in by_file["empty.yaml"].message
    assert "scenarios:" in by_file["list.yaml"].message and by_file["list.yaml"].line == 1
    assert by_file["dup.yaml"].line == 5 and "twice" in by_file["dup.yaml"].message
    _, none = validate_scenarios("nothing/*.yaml", tmp_path)
    assert none and "no scenario files match" in none[0].message


def test_validate_ok_and_error_message_format(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "scenarios:\n" + GOOD_EMAIL)
    bank, problems = validate_scenarios(tmp_path / "a.yaml")
    assert problems == [] and bank is not None and bank.ids == ["good-one"]
    write(
        tmp_path, "b.yaml", "scenarios:\n" + GOOD_EMAIL.replace("good-one", "x").replace("culture", "kultur")
    )
    with pytest.raises(ValidationError) as exc:
        load_scenarios([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert "b.yaml:4: scenarios[0].sector: unknown value" in str(exc.value)


# ---------------------------------------------------------------- the API


def test_bank_lookup(bank: QuestionBank) -> None:
    assert bank.get("klage-vedtak").channel == "email"
    with pytest.raises(NotFoundError) as exc:
        bank.get("klage-vedtk")
    assert "klage-vedtak" in (exc.value.hint or "")
    with pytest.raises(UsageError):
        bank.by_channel("fax")
    assert "klage-vedtak" in bank and len(bank) == sum(bank.counts().values())


def test_render_email_variants_and_follow_up(bank: QuestionBank) -> None:
    s = bank.get("hjemmehjelp-praktisk-bistand")
    _, body0 = render_email(s, 0, SAMPLE_PERSONA, "Bodø")
    _, body1 = render_email(s, 1, {"persona_name": "Ola Nordmann"}, "Vik")
    assert "Min mor er 84 år og bor alene i Bodø. Hun" in body0
    assert "min far, som bor i Vik. Han" in body1 and "Ola Nordmann" in body1
    assert render_email(s, 2, SAMPLE_PERSONA, "Bodø") == render_email(s, 0, SAMPLE_PERSONA, "Bodø")
    subject, _ = render_email(bank.get("sfo-pris-apningstider"), 1, SAMPLE_PERSONA, "Bodø", follow_up=True)
    assert subject == "Oppfølging – moderasjon på SFO"
    subject0, body = render_email(
        bank.get("sfo-pris-apningstider"), 0, SAMPLE_PERSONA, "Bodø", follow_up=True
    )
    assert subject0 == "Re: Spørsmål om SFO" and body.rstrip().endswith("Kari")


def test_render_email_errors(bank: QuestionBank) -> None:
    with pytest.raises(UsageError, match="address"):
        render_email(bank.get("byggesak-garasje-saksbehandlingstid"), 1, {"name": "Kari Nordmann"}, "Bodø")
    with pytest.raises(UsageError, match="follow-up"):
        render_email(bank.get("startlan-soknad"), 0, SAMPLE_PERSONA, "Bodø", follow_up=True)
    with pytest.raises(UsageError, match="not an e-mail"):
        render_email(bank.get("web-chat"), 0, SAMPLE_PERSONA, "Bodø")
    assert set(PLACEHOLDERS) >= {"municipality", "persona_name"}


def test_direct_construction_runs_checks() -> None:
    data = yaml.safe_load(GOOD_EMAIL)[0]
    assert Scenario.model_validate(data).id == "good-one"
    with pytest.raises(PydanticValidationError, match="does not belong"):
        Scenario.model_validate({**data, "channel": "web"})


def test_expected_fact_matching() -> None:
    deadline = ExpectedFact(kind="complaint_deadline", amount=3, unit="weeks")
    fact = {"kind": "complaint_deadline", "value": {"amount": 3, "unit": "weeks"}, "text": "innen tre uker"}
    assert deadline.matches(fact) and deadline.effective_tolerance == "exact"
    assert not deadline.matches({**fact, "value": {"amount": 4, "unit": "weeks"}})
    assert not deadline.matches({**fact, "value": {"amount": 3, "unit": "days"}})
    price = ExpectedFact(kind="price", topic=["SFO"], amount=3000, tolerance="±10 %")
    sfo = {"kind": "price", "value": {"nok": 3250, "per": "month"}, "text": "SFO koster 3 250 kr"}
    assert price.matches(sfo) and not price.matches({**sfo, "value": {"nok": 3400}})
    assert not price.matches({**sfo, "text": "Barnehage koster 3 250 kr"})
    assert price.matches({**sfo, "text": "koster 3 250 kr"}, context="Priser for SFO")
    assert ExpectedFact(kind="phone").matches({"kind": "phone", "value": "75068000", "text": ""})
    with pytest.raises(PydanticValidationError):
        ExpectedFact(kind="price", amount=1, tolerance="any")


def test_scenarios_pattern_falls_back_to_repository(tmp_path: Path) -> None:
    assert scenarios_pattern(load_settings(tmp_path, env={})) == ("scenarios/*.yaml", REPO_ROOT)
    (tmp_path / "scenarios").mkdir()
    write(tmp_path / "scenarios", "own.yaml", "scenarios:\n" + GOOD_EMAIL)
    pattern, base = scenarios_pattern(load_settings(tmp_path, env={}))
    assert load_scenarios(pattern, base).ids == ["good-one"]


# ---------------------------------------------------------------- CLI


def run(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), "scenarios", *args])


def test_cli_list_and_show(tmp_path: Path) -> None:
    result = run(tmp_path, "list", "--channel", "web", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 24 and rows[0]["file"].endswith("web.yaml") and rows[0]["line"] > 0
    result = run(tmp_path, "list")
    assert result.exit_code == 0 and "klage-vedtak" in result.output and "web-chat" in result.output
    result = run(tmp_path, "show", "klage-vedtak", "--municipality", "Vik", "--variant", "1")
    assert result.exit_code == 0, result.output
    assert "Subject: Spørsmål om klagefrist" in result.output and "fra Vik kommune" in result.output
    assert "complaint_deadline" in result.output
    result = run(tmp_path, "show", "telefon-sfo")
    assert "Høflighet" in result.output and "Oppgitt månedspris" in result.output
    result = run(tmp_path, "show", "klage-vedtak", "--json")
    assert json.loads(result.output)["example"]["subject"] == "Hvordan klage på et vedtak?"
    result = run(tmp_path, "show", "nope")
    assert isinstance(result.exception, NotFoundError)


def test_cli_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, "validate")
    assert result.exit_code == 0 and "ok: " in result.output and "nett 24" in result.output
    write(tmp_path, "bad.yaml", "scenarios:\n" + GOOD_EMAIL.replace("culture", "kultur"))
    monkeypatch.chdir(tmp_path)
    result = run(tmp_path, "validate", "bad.yaml")
    assert isinstance(result.exception, ValidationError)
    assert "bad.yaml:4: scenarios[0].sector" in str(result.exception)


def test_cli_schema(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = run(tmp_path, "schema", "--out", str(out))
    assert result.exit_code == 0 and json.loads(out.read_text("utf-8")) == json_schema()
    assert json.loads(run(tmp_path, "schema").output)["$schema"].startswith("https://json-schema.org/")
