"""Portal origins exactly as browsers send them in ``Origin``, or a clear refusal.

CORS compares the ``Origin`` header byte for byte and ``frame-ancestors`` must be ASCII, so a configured
origin is only useful in its serialised form: lowercase scheme and host, no default port, a non-ASCII
host in punycode (UTS #46, as browsers map it), an IPv6 literal compressed in brackets. Anything a
browser could never send (wildcards, paths, user info, quotes or ``;`` that would break the CSP header)
is refused at start-up rather than silently never matching.
"""

from __future__ import annotations

import ipaddress
import re

import idna

DEFAULT_PORTS = {"http": 80, "https": 443}
EXAMPLE = "https://intranet.example.com"
FORM = f"an origin is scheme://host[:port], e.g. {EXAMPLE}"
_ORIGIN = re.compile(r"(?P<scheme>[^:/]*)://(?P<authority>[^/?#]*)(?P<rest>.*)", re.DOTALL)
_AUTHORITY = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[^:]*))?", re.DOTALL)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_MAX_ECHO = 80


class OriginError(ValueError):
    """A configured origin that no browser would send; the message says what to write instead."""


def _shown(value: str) -> str:
    return repr(value if len(value) <= _MAX_ECHO else f"{value[:_MAX_ECHO]}…")


def _ipv6(host: str, origin: str) -> str:
    try:
        if "%" in host:  # browsers refuse zone ids in URLs
            raise ValueError(host)
        address = ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        msg = f"{_shown(origin)} has {_shown(host)}, which is not an IPv6 address in brackets"
        raise OriginError(msg) from None
    return f"[{address.compressed}]"


def _hostname(host: str, origin: str) -> str:
    """Lowercase ASCII labels; a non-ASCII name becomes punycode the way browsers encode it."""
    if not host:
        raise OriginError(f"{_shown(origin)} has no host; {FORM}")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError as error:
            msg = f"{_shown(origin)} has a host that is not a valid internationalised domain name ({error})"
            raise OriginError(msg) from None
    host = host.lower()
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        bad = sorted({c for c in host if not (c.isalnum() and c.isascii()) and c not in ".-"})
        why = f"the character(s) {''.join(bad)!r}" if bad else "an empty, over-long or hyphen-edged label"
        msg = (
            f"{_shown(origin)} has the host {_shown(host)}, with {why}; a host is letters, digits and "
            "hyphens in dot-separated labels, an IPv4 address, or an IPv6 address in brackets"
        )
        raise OriginError(msg)
    if labels[-1].isdigit():  # browsers read a name ending in a number as an IPv4 address
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise OriginError(f"{_shown(origin)} has {_shown(host)}, which is not an IPv4 address") from None
    return host


def _port(port: str | None, scheme: str, origin: str) -> str:
    """``:port`` as browsers write it: none for the scheme's default port, no leading zeros."""
    if port is None:
        return ""
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        msg = f"{_shown(origin)} has the port {_shown(port)}; a port is a number from 1 to 65535"
        raise OriginError(msg)
    return "" if int(port) == DEFAULT_PORTS[scheme] else f":{int(port)}"


def normalise_origin(value: str) -> str:
    """``value`` as a browser would send it in ``Origin``; ``OriginError`` says why it cannot be one."""
    origin = value.strip()
    if "*" in origin:
        msg = (
            f"{_shown(origin)} is not an origin: wildcards are not supported; "
            f"list each origin, comma-separated, e.g. {EXAMPLE},https://portal.example.com"
        )
        raise OriginError(msg)
    match = _ORIGIN.fullmatch(origin)
    if match is None:
        raise OriginError(f"{_shown(origin)} is not an origin: it lacks 'scheme://'; {FORM}")
    scheme = match["scheme"].lower()
    if scheme not in DEFAULT_PORTS:
        raise OriginError(f"{_shown(origin)} is not an origin: the scheme must be http or https; {FORM}")
    if match["rest"] not in {"", "/"}:
        rest = _shown(match["rest"])
        msg = f"{_shown(origin)} is not an origin: drop the path, query or fragment {rest}; {FORM}"
        raise OriginError(msg)
    authority = match["authority"]
    if "@" in authority:
        raise OriginError(f"{_shown(origin)} is not an origin: drop the user name ('…@'); {FORM}")
    parts = _AUTHORITY.fullmatch(authority)
    if parts is None:
        msg = (
            f"{_shown(origin)} is not an origin: its host and port cannot be told apart "
            "(an IPv6 address goes in brackets: http://[::1]:8080)"
        )
        raise OriginError(msg)
    host = parts["host"]
    host = _ipv6(host, origin) if host.startswith("[") else _hostname(host, origin)
    return f"{scheme}://{host}{_port(parts['port'], scheme, origin)}"
