"""Who is on the other end of a request: the peer, or the client a trusted proxy names.

``X-Forwarded-For`` is written by whoever sends the request, so it is read only when
the peer itself is one of ``VMESTE_TRUSTED_PROXIES``; then the header is walked from
the right (the entry our proxy appended) past further trusted proxies, and the first
address that is not one is the client. Anything unparsable stops the walk there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: Scope, trusted: Sequence[Network]) -> str:
    client = scope.get("client")
    peer = client[0] if client else UNKNOWN
    if not trusted or not _trusted(peer, trusted):
        return peer
    forwarded = [value.decode("latin-1") for name, value in scope.get("headers", [])
                 if name == b"x-forwarded-for"]
    hops = [hop.strip() for header in forwarded for hop in header.split(",")]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


def client_key(scope: Scope, trusted: Sequence[Network]) -> str:
    """What an anonymous client's budgets are counted under: its IPv4 address, or the /64
    of its IPv6 one. One subscriber usually holds a whole /64 and may pick any address
    in it, so counting per IPv6 address would hand it 2**64 budgets."""
    address = client_address(scope, trusted)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped) if isinstance(ip, ipaddress.IPv6Address) else address
