"""Static files of the CMS styles (stylesheet, the script that fills JavaScript-rendered blocks, a logo),
read once and shared by every site of a style."""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kommunetest.sandbox.websites.templates.base import Style

LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="48" viewBox="0 0 40 48">'
    b'<path d="M2 2h36v22c0 12-9 19-18 22C11 43 2 36 2 24z" fill="#c8102e" stroke="#f2c200" stroke-width="2"/></svg>'
)


@functools.cache
def _read(name: str) -> bytes:
    return files(__package__).joinpath(name).read_bytes()


@functools.cache
def _assets(style_name: str, css: str, script: str) -> dict[str, tuple[str, bytes]]:
    out = {
        css: ("text/css; charset=utf-8", _read(f"{style_name}.css")),
        script: ("text/javascript; charset=utf-8", _read("site.js")),
    }
    if style_name == "enonic":
        out["/_/asset/logo.svg"] = ("image/svg+xml", LOGO)
    return out


def asset(style: Style) -> dict[str, tuple[str, bytes]]:
    """`{path: (content type, bytes)}` of the style's static files (the same bytes objects for every site)."""
    return _assets(style.name, style.css, style.script)
