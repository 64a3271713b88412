"""Who the client is, behind reverse proxies we trust and no others.

A proxy appends the address it received the request from to
``X-Forwarded-For`` (or a ``for=`` element to ``Forwarded``, RFC 7239). Anyone
can send those headers, so they are believed only when the connection comes
from a configured proxy (``STOREPICK_TRUSTED_PROXIES``), and then only back to
the first address that is not itself a trusted proxy: that is the client. With
no proxies configured the headers are ignored and the client is the peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``10.0.0.1, 10.1.0.0/16, ::1`` -> networks. Raises ValueError naming the bad entry."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network") from exc
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _forwarded_for(headers: Mapping[str, str]) -> list[str]:
    """The ``for=`` values of ``Forwarded``, else the ``X-Forwarded-For`` entries, in order."""
    forwarded = headers.get("forwarded")
    if forwarded:
        found = []
        for element in forwarded.split(","):
            for pair in element.split(";"):
                name, _, value = pair.partition("=")
                if name.strip().lower() == "for":
                    found.append(value)
        return found
    return [part for part in (headers.get("x-forwarded-for") or "").split(",") if part.strip()]


def _trusted(address: object, networks: Iterable[Network]) -> bool:
    return any(address in network for network in networks)


def client_address(peer: str | None, headers: Mapping[str, str],
                   trusted: tuple[Network, ...]) -> str:
    """The client's address as a string ("unknown" when there is none to tell)."""
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "unknown"
    if not trusted or not _trusted(peer_address, trusted):
        return str(peer_address)
    client = peer_address
    for hop in reversed(_forwarded_for(headers)):
        address = _address(hop)
        if address is None:  # "unknown" or an obfuscated id: stop at the last real one
            break
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)
