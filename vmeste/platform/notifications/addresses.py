"""Where a webhook may point: public http(s) addresses only.

A webhook makes the platform send requests to a URL a body's administrator typed, and
the delivery log shows them the HTTP status. Pointed at the platform's own network
(127.0.0.1, 10.0.0.0/8, the cloud metadata address 169.254.169.254) that would be a
port scanner, so the host is resolved and every address it resolves to must be
public, both when the subscription is created and before each send; the send then
connects to the address that was checked, so a DNS answer that changes in between
cannot redirect it. ``VMESTE_WEBHOOK_ALLOW_PRIVATE`` lifts the rule for a closed
network or tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from vmeste.platform.i18n import _

URL_MAX = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeAddress(ValueError):
    """The URL cannot be used for a webhook; the message (Russian) says why and holds
    no address."""


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the address to connect to."""

    host: str
    port: int
    address: str


def _ascii_host(host: str) -> str:
    """The host as it goes on the wire: a Cyrillic domain (.рф) in its IDNA form."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable webhook URL on its face, or None."""
    if len(url) > URL_MAX:
        return _("An address has at most {limit} characters", limit=URL_MAX)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("Give an http(s) address")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Give an http(s) address")
    if parts.username is not None or parts.password is not None:
        return _("An address must not hold a user name or a password")
    if port == 0:
        return _("Give an http(s) address")
    return None


#: IPv6 prefixes that carry an IPv4 address a gateway forwards to (NAT64, 6to4): the
#: embedded address is what the request reaches.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


async def resolve(url: str, *, allow_private: bool) -> Target:
    """The address to send ``url``'s request to; raises :class:`UnsafeAddress` when the
    URL is malformed, its host does not resolve, or (unless ``allow_private``) any of
    its addresses is loopback, private, link-local, reserved or multicast."""
    problem = url_problem(url)
    if problem:
        raise UnsafeAddress(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeAddress(_("The server's address is not found")) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in found]
    if not addresses:
        raise UnsafeAddress(_("The server's address is not found"))
    if not allow_private and not all(is_public(ip) for ip in addresses):
        raise UnsafeAddress(_("The address leads into an internal network"))
    return Target(host=_ascii_host(host), port=port, address=str(addresses[0]))
