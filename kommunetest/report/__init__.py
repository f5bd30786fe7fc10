"""The published report: a static site (Jinja2, matplotlib SVG charts, CSV/XLSX/JSON downloads) built from a
round's score run, with every probe's evidence, staff names redacted and no persona identity anywhere.

Entry points: `build_report` (the whole site), `build_preview` (one municipality's draft for its correction
window) and `kommunetest.report.corrections` (recording and listing corrections).
"""

from kommunetest.report.build import PersonaLeak, ReportResult, build_preview, build_report, persona_leaks

__all__ = ["PersonaLeak", "ReportResult", "build_preview", "build_report", "persona_leaks"]
