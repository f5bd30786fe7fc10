"""The loopback guard's one definition: what counts as an address on this machine.

Tests, CI, the rehearsal and benchmarks may only contact 127.0.0.0/8, ::1 and `localhost` (names under
`.localhost` resolve there by RFC 6761). Host names are judged as written, with no DNS lookup: a name could
point anywhere. Everything that can reach the network asks here before sending unless the user opted in.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit


@functools.lru_cache(maxsize=4096)
def is_loopback_ip(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_host(host: str) -> bool:
    h = host.strip().strip("[]").lower().rstrip(".")
    return h == "localhost" or h.endswith(".localhost") or is_loopback_ip(h)


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")
