"""The client's address behind trusted proxies (``X-Forwarded-For``, RFC 7239 §5.2 in spirit).

Each proxy appends the address of the peer it received the request from, so the list is
only as trustworthy as the hop that wrote each entry. Walking from the socket peer leftwards,
every hop that is a configured trusted proxy vouches for the entry before it; the first hop
that is not trusted is the client (the "rightmost untrusted" rule). When the socket peer is
not a trusted proxy, ``X-Forwarded-For`` is ignored entirely: anyone can send the header.
An entry that is not an IP address stops the walk at the proxy that passed it on.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def parse_networks(text: str) -> tuple[Network, ...]:
    """``trusted_proxies``: IPs or CIDRs separated by commas or spaces; ``ValueError`` names
    the first entry that is neither."""
    networks: list[Network] = []
    for entry in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry[:64]!r} is not an IP address or CIDR") from None
    return tuple(networks)


@lru_cache(maxsize=4096)
def _address(text: str) -> Address | None:
    """An address as a proxy writes it: ``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]:80``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_address(peer: str | None, forwarded_for: Sequence[str],
                   trusted: Sequence[Network]) -> str:
    """The client's address: the socket ``peer`` unless it is a trusted proxy, then the
    rightmost ``X-Forwarded-For`` entry that is not one (``forwarded_for`` holds the header's
    values in order; each may list several entries)."""
    current = _address(peer) if peer else None
    if current is None:
        return UNKNOWN
    hops = [entry for value in forwarded_for for entry in value.split(",")]
    while hops and _trusted(current, trusted):
        previous = _address(hops.pop())
        if previous is None:
            break
        current = previous
    return current.compressed
