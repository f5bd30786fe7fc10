"""URLs: normalisation and dedupe, a site's own domains, and the external service platforms municipalities use.

A municipality's site is its front page's registrable domain (by the Public Suffix List, so
`www.hattfjelldal.kommune.no` belongs to `hattfjelldal.kommune.no`) and its subdomains, plus any other
domains the caller names. Hosts on reserved test names (`*.test`, `*.localhost`) are not in the list; for them
the site is the host without a leading `www.`. Self-service platforms (innsyn, custhelp, Acos, 360, Visma,
ePhorte, Elements, Min side, ID-porten) are recorded as external links even on the municipality's own
subdomains, and never crawled.
"""

from __future__ import annotations

import functools
import ipaddress
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

import tldextract

# Query parameters that only track the visitor; they never change the page.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|_gl|yclid|igshid|ref_src|sessionid|jsessionid|phpsessid)$",
    re.IGNORECASE,
)
# Extensions of files we neither parse nor need (HTML, text and PDF are what the checks read).
SKIP_EXTENSIONS = frozenset(
    [
        "jpg",
        "jpeg",
        "png",
        "gif",
        "svg",
        "webp",
        "bmp",
        "ico",
        "tif",
        "tiff",
        "heic",
        "mp4",
        "mov",
        "avi",
        "mkv",
        "webm",
        "wmv",
        "mp3",
        "wav",
        "ogg",
        "m4a",
        "flac",
        "css",
        "js",
        "mjs",
        "json",
        "woff",
        "woff2",
        "ttf",
        "otf",
        "eot",
        "zip",
        "rar",
        "7z",
        "gz",
        "tgz",
        "tar",
        "exe",
        "dmg",
        "msi",
        "iso",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "odp",
        "ics",
        "vcf",
        "rss",
        "atom",
    ]
)
# (label, host pattern): a host matching the pattern is a self-service platform; the first match names it.
PLATFORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        ("custhelp", r"(^|\.)custhelp\.com$"),
        ("acos", r"(^|\.)acos\.no$"),
        ("360online", r"(^|\.)360online\.com$"),
        ("visma", r"(^|\.)visma\.(no|com|net)$"),
        ("ephorte", r"(^|\.)ephorte\.no$"),
        ("elements", r"(^|\.)elements-cloud\.com$"),
        ("min_side", r"(^|\.)min\.side$|^minside\.|^min-side\."),
        ("idporten", r"(^|\.)idporten\.no$"),
        ("altinn", r"(^|\.)altinn\.no$"),
        ("digdir", r"(^|\.)(svarut|einnsyn)\.no$"),
        ("innsyn", r"(^|\.)innsyn\."),  # after the vendors: innsyn.acos.no is Acos
    )
)
CACHE = 32768  # URL helpers are pure and called for every link of every page: memoised
_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


@functools.lru_cache(maxsize=CACHE)
def host_port(url: str) -> tuple[str, int]:
    """Host (lower case) and port (the scheme's default when none is given) of a URL."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower().rstrip("."), parts.port or (443 if parts.scheme == "https" else 80)


@functools.lru_cache(maxsize=CACHE)
def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """The domain a municipality owns for `host`: PSL registrable domain, else the host without `www.`."""
    host = host.lower().rstrip(".")
    if is_ip(host) or "." not in host:
        return host
    ext = _PSL(host)
    if ext.suffix and ext.domain:
        return f"{ext.domain}.{ext.suffix}"
    return host[4:] if host.startswith("www.") else host


@functools.lru_cache(maxsize=CACHE)
def platform_of(host: str) -> str | None:
    """The label of the self-service platform `host` belongs to, if any."""
    host = host.lower()
    for label, pattern in PLATFORMS:
        if pattern.search(host):
            return label
    return None


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


@dataclass
class SiteScope:
    """Which hosts belong to one municipality's site."""

    domains: set[str] = field(default_factory=set)

    @classmethod
    def for_url(cls, front_url: str, extra_domains: Iterable[str] = ()) -> SiteScope:
        domains = {registrable_domain(host_of(front_url))}
        domains |= {registrable_domain(d.lower()) for d in extra_domains if d}
        return cls(domains)

    def owns(self, host: str) -> bool:
        """True for the site's own hosts (platform hosts excluded: they are recorded, not crawled)."""
        host = host.lower().rstrip(".")
        return any(_within(host, d) for d in self.domains) and platform_of(host) is None

    def owns_url(self, url: str) -> bool:
        return self.owns(host_of(url))


def _quote_path(path: str) -> str:
    # Decode then re-encode so that `%7E`, `~` and raw `æ` compare equal; keep reserved characters.
    return quote(unquote(path), safe="/:@!$&'()*+,;=-._~")


def normalize_url(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL in canonical form, or None for what we do not follow (mailto:, js, ...).

    Lower-case scheme and host, no default port, no fragment, no tracking parameters, `.`/`..` resolved,
    percent-encoding made uniform, remaining query parameters sorted."""
    url = url.strip()
    if not url or url.startswith(("#", "mailto:", "tel:", "javascript:", "data:", "sms:", "ftp:")):
        return None
    if base:
        if url[0] == "/" and url[1:2] != "/":  # the common case, resolved without urljoin
            url = _origin(base) + url
        elif not url.startswith(("http://", "https://")):
            url = urljoin(base, url)
    return _normalize(url)


@functools.lru_cache(maxsize=CACHE)
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@functools.lru_cache(maxsize=CACHE)
def _normalize(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if scheme not in ("http", "https") or not host:
        return None
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"
    path = parts.path or "/"
    trailing = path.endswith("/")
    path = "/" + posixpath.normpath(path).lstrip("/")
    path = "/" if path == "/." else path
    if trailing and not path.endswith("/"):
        path += "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    return urlunsplit((scheme, netloc, _quote_path(path), urlencode(sorted(query)), ""))


@functools.lru_cache(maxsize=CACHE)
def dedupe_key(url: str) -> str:
    """Key under which two URLs count as the same page: the normalised URL without a trailing slash."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", parts.netloc, path, parts.query, ""))


@functools.lru_cache(maxsize=CACHE)
def skip_by_extension(url: str) -> bool:
    """True for links to images, media, styles, scripts, archives and office files."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1].lower() in SKIP_EXTENSIONS


@functools.lru_cache(maxsize=CACHE)
def url_pattern(url: str) -> str:
    """The URL with digits blurred: many pages of one pattern (`/kalender/2031/07`) betray a crawler trap."""
    parts = urlsplit(url)
    keys = ",".join(sorted(k for k, _ in parse_qsl(parts.query)))
    return re.sub(r"\d+", "#", f"{parts.netloc}{parts.path}?{keys}")
