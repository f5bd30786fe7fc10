"""Simulated municipal websites with ground truth, for tests, benchmarks and the demo.

    sites = generate_nation(register, bank.by_channel("web"), seed=0)   # {kommunenummer: GeneratedSite}
    server = WebServer(sites_for_server(sites)).start()                  # virtual hosts on loopback
    write_sites(sites, Path("sites"))                                    # or a directory per host + truth

Each site is in one of several CMS styles (Enonic-like mega menu, ACOS/Jalla-like left menu, Sitecore-like
cards, an old table layout), in bokmål or nynorsk as the register says, with the 24 web items placed as real
sites place them (text, tables with a column per year, contact boxes, PDFs, JavaScript, deep pages, or not at
all). `GeneratedSite.truth` (`SiteTruth`) says, per item, the expected grade, the true values in the
`web inspect` fact shapes, and the URL, click depth, PDF and JavaScript flags.
"""

from __future__ import annotations

from kommunetest.sandbox.websites.facts import GRADES, ItemTruth, SiteTruth, TruthValue
from kommunetest.sandbox.websites.generator import (
    GeneratedSite,
    generate_nation,
    generate_site,
    sim_host,
    sites_for_server,
    write_sites,
)

__all__ = [
    "GRADES",
    "GeneratedSite",
    "ItemTruth",
    "SiteTruth",
    "TruthValue",
    "generate_nation",
    "generate_site",
    "sim_host",
    "sites_for_server",
    "write_sites",
]
