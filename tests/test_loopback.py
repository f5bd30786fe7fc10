"""The loopback guard: only 127.0.0.0/8, ::1 and localhost count, judged without DNS."""

from __future__ import annotations

import pytest

from kommunetest.loopback import is_loopback_host, is_loopback_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://127.9.8.7/x",
        "http://[::1]:9/",
        "http://localhost/",
        "http://a.localhost/",
    ],
)
def test_loopback_urls(url: str) -> None:
    assert is_loopback_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.oslo.kommune.no/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://128.0.0.1/",
        "http://localhost.example.com/",
        "http://127.0.0.1.nip.io/",
        "http:///nohost",
    ],
)
def test_everything_else_is_not(url: str) -> None:
    assert not is_loopback_url(url)


def test_hosts() -> None:
    assert is_loopback_host("LOCALHOST.") and is_loopback_host("[::1]") and not is_loopback_host("")
