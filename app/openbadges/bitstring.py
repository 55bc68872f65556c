"""W3C Bitstring Status List: index allocation and the encoded list."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

# Odd, so ``counter * _MIX`` is a bijection modulo a power of two: consecutive awards land
# far apart in the list and the index does not reveal issuing order.
_MIX = 0x9E3779B1


def scrambled_index(counter: int, scramble: int, size: int) -> int:
    """The list position of the ``counter``-th allocation (``size`` is a power of two)."""
    return (counter * _MIX + scramble) % size


def encode_list(revoked: Iterable[int], size: int) -> str:
    """``encodedList``: multibase base64url (``u``) of the GZIP-compressed bitstring.

    Bit 0 is the left-most (most significant) bit of the first byte, as the spec requires.
    """
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0 keeps the output stable, so an unchanged list re-signs to the same bytes.
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def is_set(encoded_list: str, index: int) -> bool:
    """Read one bit of an ``encodedList``."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u' prefix)")
    data = encoded_list[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    if index // 8 >= len(bits):
        raise ValueError("status list index out of range")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
