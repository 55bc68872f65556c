"""Which network addresses the tool may connect to on behalf of a URL that came from outside.

Python's :mod:`ipaddress` knows which addresses are global (the IANA special-purpose
registries); what it does not do is look inside IPv6 addresses that carry an IPv4 address:
``::ffff:169.254.169.254`` (mapped), ``::169.254.169.254`` (compatible), ``64:ff9b::a9fe:a9fe``
(NAT64) and ``2002:a9fe:a9fe::`` (6to4) are judged there by their IPv6 prefix (several count
as global) while they reach the IPv4 address inside. So such an address is judged by the IPv4
address it carries.

Private and loopback networks are refused unless the deployment allows them
(``OUTBOUND_ALLOW_PRIVATE_NETWORKS``: a laptop demo, the tests, an LMS on a campus network);
link-local, multicast, unspecified and reserved addresses, and the cloud metadata services,
are refused always.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv6Address

Address = IPv4Address | IPv6Address

# Metadata services that live outside link-local space (AWS's IPv6 endpoint is a ULA, Alibaba's
# is in the carrier-grade NAT range): refused even where private networks are allowed.
CLOUD_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)


def embedded_ipv4(address: Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address reaches (mapped, compatible, NAT64, 6to4, Teredo)."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _refusal_of_one(address: Address, allow_private: bool) -> str | None:
    if address in CLOUD_METADATA:
        return "a cloud metadata service"
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return "not a unicast internet address"
    if address.is_loopback:  # before is_reserved: ::1 lies in IPv6's reserved ::/8
        return None if allow_private else "a private, loopback or special-purpose address"
    if address.is_reserved:
        return "not a unicast internet address"
    if address.is_global:
        return None
    if allow_private and (address.is_private or address.is_loopback or address in _SHARED):
        return None
    return "a private, loopback or special-purpose address"


def refusal(address: Address, allow_private: bool = False) -> str | None:
    """Why the tool must not connect to ``address``, or None when it may."""
    # An IPv6 address that carries an IPv4 address goes where the IPv4 address does: judge
    # that one (the carrier prefixes themselves sit in ranges Python calls reserved).
    inner = embedded_ipv4(address)
    return _refusal_of_one(inner if inner is not None else address, allow_private)
