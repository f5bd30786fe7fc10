"""The method page's content, generated from the run's scoring model and the round's scenarios, so the page
always describes the rules that made the published figures."""

from __future__ import annotations

from typing import Any

from kommunetest.register import SIZE_CLASS_LABELS_NB
from kommunetest.report.data import ReportData
from kommunetest.report.text import format_number, ngettext
from kommunetest.report.text import gettext as _
from kommunetest.report.views import quality_label, web_grade_label
from kommunetest.scenarios import SECTOR_LABELS, Scenario, render_email


def _neutral_persona() -> dict[str, str]:
    """Stand-ins for the persona in question templates: the method page shows the wording, never a persona."""
    who = _("[citizen]")
    return {"name": who, "first_name": who, "address": _("[address]"), "city": _("[town]")}


def scenario_row(s: Scenario) -> dict[str, Any]:
    what, extra = s.description or "", []
    if s.email is not None:
        try:
            subject, body = render_email(s, 0, _neutral_persona(), _("[municipality]"))
            extra = [_("Subject: {subject}", subject=subject), " ".join(body.split())]
        except Exception:  # a template the neutral persona cannot fill: show the description only
            extra = []
    elif s.web is not None:
        what = what or s.web.item
        extra = [_("Looked for: {item}", item=s.web.item),
                 _("Counts as findable within {n} clicks from the front page.", n=s.web.max_depth)]  # fmt: skip
    elif s.phone is not None:
        what = s.phone.theme
        extra = [q.text for q in s.phone.questions]
    return {"title": s.title, "sector": SECTOR_LABELS.get(s.sector, s.sector), "what": what, "extra": extra,
            "weight": s.weight}  # fmt: skip


def method_context(data: ReportData) -> dict[str, Any]:
    model = data.model
    cw = {"email": model.channels.email, "web": model.channels.web, "phone": model.channels.phone}
    total = sum(cw.values()) or 1
    names = {"email": _("E-mail"), "web": _("Web"), "phone": _("Phone")}
    pw = model.phone.weights.model_dump()
    ptotal = sum(pw.values()) or 1
    part_names = {
        "quality": _("Answer quality"),
        "reached": _("Reached a person"),
        "courtesy": _("Courtesy"),
        "answered_within_15s": _("Answered within 15 seconds"),
        "officer_within_60s": _("Case officer within 60 seconds"),
    }
    used = {p["scenario_id"] for rows in data.probes.values() for p in rows}
    groups = []
    for channel in ("email", "web", "phone"):
        seen: dict[str, Scenario] = {}
        for sid in sorted(used):
            s = data.scenario(sid)
            if s is not None and s.channel == channel:
                seen.setdefault(s.id, s)
        if seen:
            bank_order = [s for s in (data.bank or []) if s.id in seen]
            groups.append({"label": names[channel], "scenarios": [scenario_row(s) for s in bank_order]})
    rounds_cfg = (data.round.get("config") or {}).get("rounds") or {}
    tiers = [
        {"label": ngettext("within {days} working day", "within {days} working days", 1 if t.within_days == 1 else 2,
                           days=format_number(t.within_days, digits=0 if t.within_days == int(t.within_days) else 1)),
         "points": t.points}
        for t in model.email.speed_tiers
    ]  # fmt: skip
    return {
        "speed_tiers": tiers,
        "channel_weights": [{"label": names[c], "weight": 100 * w / total} for c, w in cw.items()],
        "sector_weights": [
            {"label": SECTOR_LABELS.get(s, s), "weight": w} for s, w in model.sectors.weights.items()
        ],
        "email_quality": [
            {"label": quality_label(k), "points": v} for k, v in model.email.quality.model_dump().items()
        ],
        "web_grades": [
            {"label": web_grade_label(k), "points": v} for k, v in model.web.grades.model_dump().items()
        ],
        "phone_weights": [{"label": part_names.get(k, k), "weight": 100 * v / ptotal} for k, v in pw.items()],
        "call_window": (
            rounds_cfg.get("call_window_start", "09:30"),
            rounds_cfg.get("call_window_end", "15:00"),
        ),
        "size_list": ", ".join(SIZE_CLASS_LABELS_NB.values()),
        "scenario_groups": groups,
    }
