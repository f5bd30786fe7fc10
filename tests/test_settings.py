"""Settings: one declaration each; defaults < kommunetest.toml < environment < flags; secrets from env only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kommunetest.errors import ConfigError, ValidationError
from kommunetest.settings import declared, load_settings


def _toml(project: Path, text: str) -> None:
    (project / "kommunetest.toml").write_text(text, encoding="utf-8")


def test_every_setting_has_help_and_a_unique_env_name() -> None:
    infos = list(declared())
    assert len(infos) > 15
    assert all(i.help for i in infos)
    assert len({i.env for i in infos}) == len(infos)


def test_precedence_defaults_toml_env_flags(project: Path) -> None:
    assert load_settings(project, env={}).rounds.seed == 2027
    _toml(project, "[rounds]\nseed = 11\nweeks_unused = 1\n".replace("weeks_unused = 1\n", ""))
    s = load_settings(project, env={})
    assert s.rounds.seed == 11 and s.sources["rounds.seed"] == "kommunetest.toml"
    s = load_settings(project, env={"KOMMUNETEST_ROUNDS_SEED": "12"})
    assert s.rounds.seed == 12 and s.sources["rounds.seed"] == "env KOMMUNETEST_ROUNDS_SEED"
    s = load_settings(project, env={"KOMMUNETEST_ROUNDS_SEED": "12"}, flags={"rounds.seed": 13})
    assert s.rounds.seed == 13 and s.sources["rounds.seed"] == "flag"
    assert s.sources.get("rounds.email_per_municipality") is None  # untouched: default


def test_secrets_are_refused_in_the_file(project: Path) -> None:
    _toml(project, '[store]\ndatabase_url = "postgresql://u:pw@127.0.0.1/x"\n')
    with pytest.raises(ValidationError) as e:
        load_settings(project, env={})
    (p,) = e.value.problems
    assert (
        p.line == 2 and p.field == "store.database_url" and "KOMMUNETEST_STORE_DATABASE_URL" in (p.hint or "")
    )


def test_unknown_names_and_bad_values_name_line_and_field(project: Path) -> None:
    _toml(project, "[rounds]\nseed = 1\n\n[calender]\nx = 1\n")
    with pytest.raises(ValidationError) as e:
        load_settings(project, env={})
    assert [(p.line, "calender" in p.message) for p in e.value.problems] == [(4, True)]
    _toml(project, '[rounds]\nseed = "many"\n')
    with pytest.raises(ValidationError) as e:
        load_settings(project, env={})
    (p,) = e.value.problems
    assert (p.line, p.field) == (2, "rounds.seed")
    _toml(project, "[rounds\nseed = 1\n")
    with pytest.raises(ValidationError, match="TOML syntax error") as e:
        load_settings(project, env={})
    assert e.value.problems[0].line == 1
    _toml(project, "")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(project, env={}, flags={"rounds.nope": 1})


def test_env_values_are_typed_and_validated(project: Path) -> None:
    s = load_settings(project, env={"KOMMUNETEST_EMAIL_LIVE": "true", "KOMMUNETEST_ROUNDS_SEED": "5"})
    assert s.email.live is True and s.rounds.seed == 5
    with pytest.raises(ValidationError) as e:
        load_settings(project, env={"KOMMUNETEST_ROUNDS_EMAIL_PER_MUNICIPALITY": "-1"})
    assert e.value.problems[0].file == "env KOMMUNETEST_ROUNDS_EMAIL_PER_MUNICIPALITY"


def test_personas_from_toml_and_passwords_from_env(project: Path) -> None:
    _toml(
        project,
        '[[email.personas]]\nid = "kari"\nname = "Kari Nordmann"\nemail = "kari@persona.kommunetest.test"\n',
    )
    s = load_settings(project, env={})
    (kari,) = s.email.personas
    assert kari.password_env == "KOMMUNETEST_PERSONA_KARI_PASSWORD"
    assert kari.password({"KOMMUNETEST_PERSONA_KARI_PASSWORD": "hemmelig"}) == "hemmelig"


def test_cli_lists_settings_and_hides_secrets(project: Path, kt) -> None:
    r = kt(
        "--project",
        str(project),
        "settings",
        "--json",
        env={"KOMMUNETEST_STORE_DATABASE_URL": "sqlite:///x.db"},
    )
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["store.database_url"]["value"] == "(set)"
    assert rows["rounds.seed"]["help"] and rows["rounds.seed"]["env"] == "KOMMUNETEST_ROUNDS_SEED"
    _toml(project, "[rounds]\nseed = x\n")
    r = kt("--project", str(project), "settings")
    assert r.exit_code == 4 and "kommunetest.toml" in r.stderr and "Traceback" not in r.output
