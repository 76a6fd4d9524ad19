"""The client address behind trusted proxies: the rightmost untrusted hop, never a spoof."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.protocol.forwarded import client_address, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 192.168.1.1 fd00::/8")
TEN = ipaddress.ip_network("10.0.0.0/8")


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    # An untrusted peer: the header is anyone's to write, so it is ignored.
    ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
    ("203.0.113.9", [], "203.0.113.9"),
    # A trusted proxy: the entry it appended is the client.
    ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
    # A client that sends its own header: the proxy appends the real peer; the spoof is left.
    ("10.0.0.5", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),
    # Two trusted proxies in a row, then the client.
    ("10.0.0.5", ["1.2.3.4, 198.51.100.1, 192.168.1.1"], "198.51.100.1"),
    # Every hop trusted: the leftmost one.
    ("10.0.0.5", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),
    # A trusted proxy and no header: the proxy itself.
    ("10.0.0.5", [], "10.0.0.5"),
    # Ports and brackets as some proxies write them; IPv4-mapped IPv6 is IPv4.
    ("10.0.0.5", ["198.51.100.1:4711"], "198.51.100.1"),
    ("fd00::1", ["[2001:db8::1]:443"], "2001:db8::1"),
    ("::ffff:10.0.0.5", ["2001:DB8:0::7"], "2001:db8::7"),
    # Garbage after a trusted hop stops the walk at that hop.
    ("10.0.0.5", ["unknown"], "10.0.0.5"),
    ("10.0.0.5", ["198.51.100.1, _hidden, 10.9.9.9"], "10.9.9.9"),
    (None, ["198.51.100.1"], "unknown"),
    ("not an address", ["198.51.100.1"], "unknown"),
])
def test_rightmost_untrusted_hop(peer: str | None, forwarded: list[str],
                                 expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_nothing_is_trusted_by_default() -> None:
    assert parse_networks("") == ()
    assert client_address("127.0.0.1", ["198.51.100.1"], parse_networks("")) == "127.0.0.1"


@pytest.mark.parametrize("text", ["10.0.0.0/33", "proxy.example", "10.0.0.1, ,x", "::g"])
def test_bad_settings_name_the_entry(text: str) -> None:
    with pytest.raises(ValueError, match="is not an IP address or CIDR"):
        parse_networks(text)


@given(st.lists(st.ip_addresses().map(str), max_size=6),
       st.ip_addresses(v=4).filter(lambda a: a not in TEN))
def test_an_untrusted_peer_is_always_the_answer(forwarded: list[str],
                                                peer: ipaddress.IPv4Address) -> None:
    assert client_address(str(peer), [", ".join(forwarded)], (TEN,)) == str(peer)
