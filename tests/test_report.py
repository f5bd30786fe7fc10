"""The published report, built from a synthetic round of all 357 municipalities in a real SQLite store
(`synthetic_report` in conftest): files, downloads, ranks, escaping, redaction, persona safety, the strict
CSP, the preview for the correction window, and corrections end to end."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selectolax.lexbor import LexborHTMLParser

from kommunetest.report.build import persona_leaks, prepare_out_dir
from kommunetest.report.charts import render_charts
from kommunetest.report.exports import COLUMNS
from kommunetest.report.pages import CSP
from kommunetest.report.redact import Persona
from kommunetest.settings import REHEARSAL_PERSONAS, load_settings

TEXT = {".html", ".json", ".csv", ".txt", ".svg", ".js", ".css"}


def _texts(root: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in root.rglob("*") if p.suffix in TEXT and p.is_file()}


@pytest.fixture(scope="module")
def report(synthetic_report):
    return synthetic_report


@pytest.fixture(scope="module")
def texts(report) -> dict[Path, str]:
    return _texts(report.out)


@pytest.fixture(scope="module")
def records(report) -> list[dict]:
    return json.loads((report.out / "data" / "results.json").read_text(encoding="utf-8"))


def test_the_files_exist(report) -> None:
    out = report.out
    for name in ("index.html", "fylker.html", "metode.html", "figurer.html", "static/style.css", "static/report.js",
                 "data/results.csv", "data/results.xlsx", "data/results.json", "data/run.json"):  # fmt: skip
        assert (out / name).is_file(), name
    assert len(list((out / "kommune").glob("*.html"))) == 357
    assert len(list((out / "fylke").glob("*.html"))) == 15
    assert len(list((out / "storrelse").glob("*.html"))) == 5
    assert sorted(p.name for p in (out / "charts").glob("*.svg")) == [
        "fylker.svg", "kanaler.svg", "poengfordeling.svg", "storrelse.svg", "svartid-epost.svg"]  # fmt: skip
    shots = list((out / "evidence").rglob("*.png"))
    assert shots and all(p.read_bytes().startswith(b"\x89PNG") for p in shots)
    assert not list(out.rglob("*.eml")) and not list((out / "evidence").rglob("*.html"))  # never published
    assert "report written to" in report.build_output and "has no score run yet" in report.build_output


def test_results_json_ranks_are_consistent_with_the_scores(records) -> None:
    assert len(records) == 357
    assert len({r["kommunenummer"] for r in records}) == 357
    ranked = [r for r in records if r["ranked"]]
    unranked = [r for r in records if not r["ranked"]]
    assert records == ranked + unranked  # ranked first, in rank order
    assert [r["rank"] for r in ranked] == sorted(r["rank"] for r in ranked)
    for r in ranked:  # competition ranking on the shown score: 1 + how many scored strictly higher
        assert r["rank"] == 1 + sum(1 for x in ranked if x["total"] > r["total"])
        assert isinstance(r["total"], int) and r["total"] == int(r["total_exact"] + 0.5 + 1e-9)
        assert r["rank_low"] <= r["rank"] <= r["rank_high"]
        assert r["passed"] == (r["total"] >= 75)
    ties = [r for r in ranked if sum(1 for x in ranked if x["total"] == r["total"]) > 1]
    assert ties, "a round of 357 municipalities has ties"
    after_tie = [x["rank"] for x in ranked if x["total"] < ties[0]["total"]]
    n_tied = sum(1 for x in ranked if x["total"] == ties[0]["total"])
    assert after_tie[0] == ties[0]["rank"] + n_tied  # "1, 1, 3"
    # The municipality whose website could not be crawled is not ranked (not tested is not zero).
    down = next(r for r in records if r["kommunenummer"] == "1151")
    assert not down["ranked"] and down["rank"] is None and down["reason"]
    assert down["web"] is None and down["n_web"] == 0


def test_csv_and_xlsx_hold_the_same_records_as_json(report, records) -> None:
    with (report.out / "data" / "results.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == COLUMNS and len(rows) == 357

    def as_csv(v: object) -> str:
        return "" if v is None else ("true" if v else "false") if isinstance(v, bool) else str(v)

    assert rows == [{k: as_csv(v) for k, v in r.items()} for r in records]
    wb = load_workbook(report.out / "data" / "results.xlsx", read_only=True)
    sheet = wb.worksheets[0]
    xrows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert xrows[0] == COLUMNS and len(xrows) == 358
    assert [dict(zip(COLUMNS, r, strict=True)) for r in xrows[1:]] == records
    assert xrows[1][0] == records[0]["kommunenummer"]  # text, leading zeros kept
    assert any(r["kommunenummer"] == "0301" for r in records)


def test_names_are_exactly_as_in_the_register_with_the_sami_names(texts, records, report) -> None:
    karasjok = next(r for r in records if r["kommunenummer"] == "5610")
    assert (karasjok["name"], karasjok["name_alt"]) == ("Karasjok", "Kárášjohka")
    page = texts[report.out / "kommune" / "5610.html"]
    assert "<h1>Karasjok" in page and "Kárášjohka" in page
    index = texts[report.out / "index.html"]
    assert "Kárášjohka" in index and ">Bodø</a>" in index and ">Våler</a>" in index


def test_a_reply_carrying_a_script_tag_is_escaped(texts, report) -> None:
    assert report.planted["script_municipality"] == "1804"
    page = texts[report.out / "kommune" / "1804.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=" in page  # a hostile fact from a website: shown, as text
    assert "javascript:" not in page.replace("javascript:alert(3)</span>", "")  # shown as text, never a link
    tree = LexborHTMLParser(page)
    assert [s.attributes.get("src") for s in tree.css("script")] == ["../static/report.js"]


def test_staff_names_emails_and_phones_are_redacted_but_official_contacts_kept(texts, report) -> None:
    staff = report.planted["staff"]
    assert len(staff) > 300
    for s in staff:  # on the page of the municipality that wrote the reply
        page = texts[report.out / "kommune" / f"{s['kommunenummer']}.html"]
        for secret in (s["name"], s["email"], s["phone"], s["mobile"], s["colleague"]):
            assert secret not in page, secret
    # ... and nowhere else: every e-mail address, phone-like number and name-like pair in the output.
    everything = "\n".join(texts.values())
    emails = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", everything))
    assert not emails & {s["email"] for s in staff}
    numbers = set(re.findall(r"\d{2} \d{2} \d{2} \d{2}|\d{3} \d{2} \d{3}", everything))
    assert not numbers & ({s["phone"] for s in staff} | {s["mobile"] for s in staff})
    pairs = set(re.findall(r"[A-ZÆØÅÁ][\wæøåáš-]+ [A-ZÆØÅÁ][\wæøåáš-]+", everything))
    assert not pairs & ({s["name"] for s in staff} | {s["colleague"] for s in staff})
    official = report.planted["official"]
    knr = staff[0]["kommunenummer"]
    page = texts[report.out / "kommune" / f"{knr}.html"]
    assert official[knr]["email"] in page
    number = official[knr]["phone"]
    assert " ".join(number[i : i + 2] for i in range(0, 8, 2)) in page
    assert (
        "[navn fjernet]" in page and "[e-postadresse fjernet]" in page and "[telefonnummer fjernet]" in page
    )


def test_no_persona_identity_anywhere(report, texts) -> None:
    settings = load_settings(report.project)
    personas = settings.email.personas
    assert {p.email for p in personas} == {p.email for p in REHEARSAL_PERSONAS}
    everything = "\n".join(texts.values()).casefold()
    for p in personas:
        for secret in (p.name, p.email, p.address):
            assert secret.casefold() not in everything, secret
    wb = load_workbook(report.out / "data" / "results.xlsx", read_only=True)
    cells = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    assert not any(p.name in cells or p.email in cells for p in personas)
    # The check the build runs itself finds nothing here, and does find a planted leak.
    pp = [Persona(p.name, p.email, p.address) for p in personas]
    assert persona_leaks(report.out, pp) == []


def test_the_leak_check_catches_a_persona(tmp_path: Path) -> None:
    (tmp_path / "x.html").write_text("<p>Hei fra ANNA.BERG@persona.kommunetest.test</p>", encoding="utf-8")
    (tmp_path / "y.png").write_bytes(b"Anna Berg")  # not text: not read
    leaks = persona_leaks(tmp_path, [Persona("Anna Berg", "anna.berg@persona.kommunetest.test")])
    assert leaks == ["x.html: anna.berg@persona.kommunetest.test"]


def test_every_page_has_the_csp_and_no_inline_code_or_external_resources(report, texts) -> None:
    pages = {p: t for p, t in texts.items() if p.suffix == ".html"}
    assert len(pages) == 357 + 15 + 5 + 4
    for path, html in pages.items():
        tree = LexborHTMLParser(html)
        metas = tree.css('meta[http-equiv="Content-Security-Policy"]')
        assert [m.attributes.get("content") for m in metas] == [CSP], path
        assert tree.css_first("html").attributes.get("lang") == "nb"
        assert not tree.css("style"), path
        for node in tree.css("*"):
            attrs = node.attributes
            assert "style" not in attrs, (path, node.tag)
            assert not any(a.startswith("on") for a in attrs), (path, node.tag)
        for s in tree.css("script"):
            assert s.attributes.get("src") and not (s.text() or "").strip(), path
        for node in tree.css("script, img, link, iframe, object, embed, source, video, audio"):
            for attr in ("src", "href", "data"):
                value = node.attributes.get(attr) or ""
                assert not re.match(r"(?i)\s*(https?:)?//", value), (path, node.tag, value)
                assert not value.lower().startswith("javascript:"), (path, value)
        for a in tree.css("a[href]"):
            assert not a.attributes["href"].lower().lstrip().startswith(("javascript:", "data:")), path


def test_landmarks_headings_and_table_headers(texts, report) -> None:
    for name in ("index.html", "kommune/1804.html", "metode.html", "fylke/18-nordland.html"):
        tree = LexborHTMLParser(texts[report.out / name])
        assert tree.css_first("header") and tree.css_first("main#main") and tree.css_first("footer")
        assert len(tree.css("h1")) == 1
        for th in tree.css("thead th"):
            assert th.attributes.get("scope") == "col", name
        for label in tree.css("label[for]"):
            assert tree.css_first(f"#{label.attributes['for']}") is not None
    index = LexborHTMLParser(texts[report.out / "index.html"])
    assert len(index.css("table#ranking tbody tr")) == 357
    assert {o.attributes.get("value") for o in index.css("#filter-county option")} >= {"", "03", "18", "56"}


def test_pages_are_norwegian(texts, report) -> None:
    index = texts[report.out / "index.html"]
    for phrase in (
        "Nasjonal rangering",
        "Søk etter navn",
        "Alle fylker",
        "Last ned data",
        "Sannsynlig plass",
    ):
        assert phrase in index
    page = texts[report.out / "kommune" / "1804.html"]
    for phrase in (
        "Totalpoeng",
        "Tidslinje",
        "Spørsmål sendt",
        "virkedager",
        "Skjermbilde",
        "Poeng per kanal",
    ):
        assert phrase in page


def test_method_page_is_generated_from_the_model_and_scenarios(texts, report) -> None:
    page = texts[report.out / "metode.html"]
    assert "kommunetest-2027.1" in page
    for phrase in ("40 %", "30 %", "innen 1 virkedag<", "Grensen for godkjent er 75 poeng",
                   "SFO – pris og åpningstider", "Åpningstider for servicetorget", "Telefon – SFO"):  # fmt: skip
        assert phrase in page, phrase
    assert "[innbygger]" in page  # question wording with the persona replaced


def test_charts_are_deterministic_svg_without_external_resources(report, records, tmp_path: Path) -> None:
    for svg in (report.out / "charts").glob("*.svg"):
        text = svg.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and "<svg" in text and "<script" not in text
        assert not re.search(r'(?:href|src)="(?:https?:)?//', text)
    again = render_charts(records, [1.0, 2.5, None], 75, tmp_path)
    again2 = render_charts(records, [1.0, 2.5, None], 75, tmp_path / "b")
    for a, b in zip(again, again2, strict=True):
        assert (tmp_path / a.file).read_bytes() == (tmp_path / "b" / b.file).read_bytes()
    assert {c.id for c in again} == {"scores", "email-times", "channels", "size-classes", "counties"}
    assert all(c.alt and c.rows for c in again)


def test_print_stylesheet_hides_navigation_and_filters(report) -> None:
    css = (report.out / "static" / "style.css").read_text(encoding="utf-8")
    block = css[css.index("@media print") :]
    assert ".site-nav" in block and ".filters" in block and "table-header-group" in block
    assert "break-inside: avoid" in block


def test_out_dir_with_foreign_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    from kommunetest.errors import UsageError

    with pytest.raises(UsageError, match="not empty"):
        prepare_out_dir(tmp_path)
    assert (tmp_path / "notes.txt").exists()


# --- preview and corrections: rounds of their own ------------------------------------------------------


@pytest.fixture
def small_round(tmp_path: Path):
    """A synthetic round of a dozen municipalities (Bodø among them) in a project of its own."""
    from kommunetest.sandbox.synthetic import build_synthetic_round
    from kommunetest.store import Store

    settings = load_settings(tmp_path)
    store = Store.open(settings)
    knrs = ["0301", "1804", "1151", "5610", "4601", "5001", "1103", "3201", "1508", "5501", "3403", "1826"]
    syn = build_synthetic_round(store, settings, "liten", municipalities=knrs)
    yield tmp_path, store, syn
    store.close()


def test_preview_builds_one_municipality_for_its_correction_window(small_round, kt) -> None:
    project, _store, _syn = small_round
    out = project / "utkast"
    r = kt("--project", str(project), "report", "build", "--round", "liten", "--preview", "1804", "--out", str(out),
           "--deadline", "2027-04-01")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and "evidence" not in p.parts) == [
        ".kommunetest-report", "README.txt", "data/1804.csv", "data/1804.json", "kommune/1804.html",
        "static/report.js", "static/style.css"]  # fmt: skip
    record = json.loads((out / "data" / "1804.json").read_text(encoding="utf-8"))
    assert record["kommunenummer"] == "1804" and record["name"] == "Bodø" and isinstance(record["total"], int)
    rows = list(csv.DictReader((out / "data" / "1804.csv").open(encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["kommunenummer"] == "1804" and rows[0]["total"] == str(record["total"])
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "Utkast til resultater" in readme and "1. april 2027" in readme and "Frist for innspill" in readme
    page = (out / "kommune" / "1804.html").read_text(encoding="utf-8")
    assert "Utkast til kommunens gjennomgang" in page and "&lt;script&gt;" in page
    tree = LexborHTMLParser(page)
    for img in tree.css("img"):
        assert (out / "kommune" / img.attributes["src"]).resolve().is_file()
    hrefs = [a.attributes["href"] for a in tree.css("a[href]")]
    assert not any(
        h.startswith("../index.html") or h.startswith("../fylke/") for h in hrefs
    )  # nothing to link to
    bad = kt("--project", str(project), "report", "build", "--round", "liten", "--preview", "9999")
    assert bad.exit_code == 2 and "not in round" in bad.stderr


def test_corrections_are_recorded_applied_and_shown(small_round, kt) -> None:
    project, store, _syn = small_round
    out = project / "rapport"
    first = kt("--project", str(project), "report", "build", "--round", "liten", "--out", str(out))
    assert first.exit_code == 0, first.output
    before = {r["kommunenummer"]: r for r in json.loads((out / "data" / "results.json").read_text("utf-8"))}
    obs_before = store.observations("liten")
    probe = "web-chat"
    r = kt("--project", str(project), "report", "correct", "--round", "liten", "--municipality", "1804",
           "--probe", probe, "--grade", "complete", "--reason", "Kommunen viste at chatten ligger på forsiden.",
           "--by", "Forbrukerrådet, prosjektleder")  # fmt: skip
    assert r.exit_code == 0, r.output
    remark = kt("--project", str(project), "report", "correct", "--round", "liten", "--municipality", "1804",
                "--reason", "Kommunen opplyste at sentralbordet var stengt for vedlikehold en dag.",
                "--by", "Forbrukerrådet")  # fmt: skip
    assert remark.exit_code == 0, remark.output
    refused = kt("--project", str(project), "report", "correct", "--round", "liten", "--municipality", "1804",
                 "--reason", "x", "--by", "Anna Berg")  # fmt: skip
    assert refused.exit_code == 2 and "persona" in refused.stderr
    wrong = kt("--project", str(project), "report", "correct", "--round", "liten", "--municipality", "1804",
               "--probe", probe, "--grade", "correct", "--reason", "x", "--by", "y")  # fmt: skip
    assert wrong.exit_code == 2 and "not a web grade" in wrong.stderr
    listed = kt("--project", str(project), "report", "corrections", "--round", "liten")
    assert (
        listed.exit_code == 0
        and "web-chat grade=complete [accepted] by Forbrukerrådet, prosjektleder" in listed.stdout
    )
    as_json = json.loads(
        kt("--project", str(project), "report", "corrections", "--round", "liten", "--json").stdout
    )
    assert [c["probe_id"] for c in as_json] == ["liten:1804:web-chat", None]

    again = kt("--project", str(project), "report", "build", "--round", "liten", "--out", str(out))
    assert again.exit_code == 0 and "scoring again" in again.stderr
    after = {r["kommunenummer"]: r for r in json.loads((out / "data" / "results.json").read_text("utf-8"))}
    assert after["1804"]["corrections"] == 2 and before["1804"]["corrections"] == 0
    assert after["1804"]["web"] >= before["1804"]["web"]
    page = (out / "kommune" / "1804.html").read_text(encoding="utf-8")
    assert page.count("Korrigert etter innspill fra kommunen") >= 3  # list, probe note, remark
    assert (
        "Kommunen viste at chatten ligger på forsiden." in page
        and "vurdert av Forbrukerrådet, prosjektleder" in page
    )
    assert "til «Funnet og fullstendig»" in page
    assert "korrigert" in (out / "index.html").read_text(encoding="utf-8")
    run = store.score_run(round_name="liten")
    chat = next(
        p for p in store.probe_scores(run["id"], kommunenummer="1804") if p["probe_id"].endswith(probe)
    )
    assert chat["score"] == 100
    assert store.observations("liten") == obs_before  # corrections never change observations


def test_build_with_a_run_and_a_previous_round(small_round, kt) -> None:
    project, store, _syn = small_round
    from kommunetest.sandbox.synthetic import build_synthetic_round
    from kommunetest.settings import load_settings as ls

    settings = ls(project)
    build_synthetic_round(store, settings, "forrige", seed=99, municipalities=["0301", "1804", "1151"])
    assert kt("--project", str(project), "score", "--round", "forrige").exit_code == 0
    assert kt("--project", str(project), "score", "--round", "liten").exit_code == 0
    run_id = store.score_run(round_name="liten")["id"]
    out = project / "med-endring"
    r = kt("--project", str(project), "report", "build", "--round", "liten", "--out", str(out), "--run", str(run_id),
           "--previous", "forrige")  # fmt: skip
    assert r.exit_code == 0, r.output
    recs = {x["kommunenummer"]: x for x in json.loads((out / "data" / "results.json").read_text("utf-8"))}
    assert recs["1804"]["previous_total"] is not None
    assert recs["1804"]["change_total"] == recs["1804"]["total"] - recs["1804"]["previous_total"]
    assert recs["5610"]["previous_total"] is None  # not in the previous round
    assert "Endring siden forrige" in (out / "kommune" / "1804.html").read_text(encoding="utf-8")
    bad = kt(
        "--project", str(project), "report", "build", "--round", "liten", "--out", str(out), "--run", "9999"
    )
    assert bad.exit_code == 5


def test_every_report_message_has_a_norwegian_translation() -> None:
    """Message ids in the report's code and templates (English) all have bokmål text in the catalogue."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    repo = Path(__file__).resolve().parent.parent
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    found: dict[str, str] = {}
    for f in sorted((repo / "kommunetest" / "report").glob("*.py")):
        for line, msg, _c, _x in extract_from_file("python", str(f), keywords=keywords):
            found[msg[0] if isinstance(msg, tuple) else msg] = f"{f.name}:{line}"
    for f in sorted((repo / "kommunetest" / "report" / "templates").glob("*.html")):
        for line, msg, _c, _x in extract_from_file("jinja2.ext:babel_extract", str(f), keywords=keywords,
                                                   options={"extensions": "jinja2.ext.i18n"}):  # fmt: skip
            found[msg[0] if isinstance(msg, tuple) else msg] = f"{f.name}:{line}"
    with (repo / "kommunetest" / "locale" / "nb" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    missing = [
        f"{where}: {msg!r}" for msg, where in found.items() if msg not in catalog or not catalog[msg].string
    ]
    assert len(found) > 300 and missing == []


def test_fast_date_formatting_matches_babel() -> None:
    from datetime import UTC, datetime, timedelta

    from kommunetest import i18n
    from kommunetest.report.text import format_datetime

    start = datetime(2027, 1, 1, tzinfo=UTC)
    for hours in range(0, 366 * 24, 13):  # every month, both sides of the DST changes
        t = start + timedelta(hours=hours)
        assert format_datetime(t) == i18n.format_datetime(t)
    assert format_datetime(None) == "–"
