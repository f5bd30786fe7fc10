"""The CMS styles of simulated municipal sites, by name."""

from __future__ import annotations

from kommunetest.sandbox.websites.templates.acos import Acos
from kommunetest.sandbox.websites.templates.base import RESULTS_MARK, Style, az_content
from kommunetest.sandbox.websites.templates.classic import Classic
from kommunetest.sandbox.websites.templates.enonic import Enonic
from kommunetest.sandbox.websites.templates.sitecore import Sitecore

STYLES: dict[str, Style] = {s.name: s for s in (Enonic(), Acos(), Sitecore(), Classic())}

__all__ = ["RESULTS_MARK", "STYLES", "Style", "az_content"]
