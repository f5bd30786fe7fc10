"""The translation layer: Norwegian bokmål for readers and testers, English message ids."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kommunetest.i18n import format_date, format_datetime, format_number, gettext, ngettext


def test_bokmal_is_the_default_and_english_follows_the_ids() -> None:
    assert gettext("Municipality") == "Kommune"
    assert gettext("Municipality", lang="en") == "Municipality"
    assert gettext("A message nobody translated") == "A message nobody translated"
    assert ngettext("{n} municipality", "{n} municipalities", 357) == "357 kommuner"
    assert ngettext("{n} municipality", "{n} municipalities", 1) == "1 kommune"


def test_norwegian_number_and_date_formats() -> None:
    assert format_number(3145).replace("\xa0", " ") == "3 145"
    assert format_number(60.46, digits=1) == "60,5"
    assert format_number(None) == "–"
    assert format_date(date(2027, 5, 17)) == "17. mai 2027"
    assert format_datetime(datetime(2027, 2, 22, 9, 15, tzinfo=UTC)) == "22. feb. 2027, 10:15"


# ------------------------------------------------------------ the phone app

# The modules whose errors the phone app shows through `translate()`: their plain-string messages and hints
# are message ids too (server.py's errors are CLI messages, shown in English).
PHONE_ERROR_MODULES = ("app.py", "entry.py", "calls.py", "accounts.py", "assign.py")
PHONE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "Msg": None}


def _literal_strings(node: object) -> list[str]:
    """Literal strings an error's message argument can take (both branches of `a if c else b`)."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_strings(node.body) + _literal_strings(node.orelse)
    return []


def phone_message_ids() -> dict[str | tuple[str, ...], str]:
    """Every message id the phone app can show, with where it was found: `_`/`ngettext`/`Msg` in the
    templates and modules (Babel's extractors), plain-string error messages and hints in the modules whose
    errors the app shows, and the outcome and fact-kind codes the call page translates."""
    import ast
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    from kommunetest import errors
    from kommunetest.channels.phone.entry import OUTCOMES
    from kommunetest.scenarios import FACT_KINDS

    phone = Path(__file__).resolve().parent.parent / "kommunetest" / "channels" / "phone"
    found: dict[str | tuple[str, ...], str] = {}
    method_map = [("templates/**.html", "jinja2.ext:babel_extract"), ("*.py", "python")]
    for filename, line, msg, _comments, _context in extract_from_dir(
        str(phone), method_map, keywords=PHONE_KEYWORDS
    ):
        found.setdefault(msg, f"{filename}:{line}")
    classes = {n for n, c in vars(errors).items() if isinstance(c, type) and
               (issubclass(c, errors.KommunetestError) or c is errors.Problem)}  # fmt: skip
    for name in PHONE_ERROR_MODULES:
        for node in ast.walk(ast.parse((phone / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes:
                args = node.args[1:2] if node.func.id == "Problem" else node.args[:1]
                args += [k.value for k in node.keywords if k.arg in ("message", "hint")]
                for text in (t for a in args for t in _literal_strings(a)):
                    found.setdefault(text, f"{name}:{node.lineno}")
    for code in (*OUTCOMES, *FACT_KINDS):
        found.setdefault(code, "outcome or fact kind")
    return found


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"\{[^{}]*\}", text))


def test_every_phone_app_message_has_a_bokmal_translation_with_its_placeholders() -> None:
    from babel.messages.pofile import read_po

    from kommunetest.i18n import LOCALE_DIR

    found = phone_message_ids()
    # The extraction itself must work, or this test would pass on nothing.
    for expected in ("Log in", "is missing", "wrong user name or password", "this call needs no new attempt",
                     "open the call again to see where it stands", "Save", "queue_too_long", "price"):  # fmt: skip
        assert expected in found
    assert any(isinstance(m, tuple) for m in found) and len(found) > 150
    with (LOCALE_DIR / "nb" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="nb_NO")
    bad = []
    for msg, where in found.items():
        key = msg[0] if isinstance(msg, tuple) else msg
        entry = catalog.get(key)
        forms = () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = _placeholders(msg[-1] if isinstance(msg, tuple) else msg)
        if not forms or not all(forms):
            bad.append(f"{where}: {key!r} has no bokmål translation")
        elif any(_placeholders(f) != wanted for f in forms):
            bad.append(f"{where}: {key!r} changes the placeholders {sorted(wanted)}")
    assert bad == []


def test_the_catalogue_has_no_message_twice() -> None:
    import re
    from collections import Counter

    from kommunetest.i18n import LOCALE_DIR

    po = (LOCALE_DIR / "nb" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    ids = Counter(re.findall(r'^msgid "(.+)"$', po, flags=re.MULTILINE))
    assert [m for m, n in ids.items() if n > 1] == []
