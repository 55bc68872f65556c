"""Key encodings: base58btc multibase, Multikey (Ed25519 ``z6Mk…``, P-256 ``zDn…``) and JWK."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
# Two digits per division: half the big-integer divisions of a signature's encoding.
_B58_PAIRS = [a + b for a in _B58 for b in _B58]
# multicodec prefix of an Ed25519 public key (0xed, varint-encoded) in a Multikey.
_ED25519_PUB = b"\xed\x01"
# multicodec prefix of a P-256 public key (0x1200, varint-encoded), compressed point after it.
_P256_PUB = b"\x80\x24"


def b58encode(data: bytes) -> str:
    """Bitcoin base58 encoding (leading zero bytes become '1')."""
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58 * 58)
        out.append(_B58_PAIRS[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    # The last pair may start with a zero digit ('1'), which is no part of the number.
    return "1" * pad + "".join(reversed(out)).lstrip("1")


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises ValueError on a character outside the alphabet."""
    n = 0
    for char in text:
        try:
            n = n * 58 + _B58_INDEX[char]
        except KeyError:
            raise ValueError(f"invalid base58 character {char!r}") from None
    pad = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


def multibase_b58(data: bytes) -> str:
    """Multibase base58btc form (prefix ``z``), as used by proof values and Multikeys."""
    return "z" + b58encode(data)


def from_multibase_b58(text: str) -> bytes:
    """Decode a base58btc multibase string (``z…``)."""
    if not text.startswith("z"):
        raise ValueError("only base58btc multibase values (prefix 'z') are supported")
    return b58decode(text[1:])


def public_raw(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_multikey(public_key: Ed25519PublicKey) -> str:
    """The ``publicKeyMultibase`` of a Multikey (``z6Mk…``)."""
    return multibase_b58(_ED25519_PUB + public_raw(public_key))


def public_key_from_multikey(text: str) -> Ed25519PublicKey:
    """Parse a Multikey ``publicKeyMultibase``; ValueError unless it is an Ed25519 key."""
    raw = from_multibase_b58(text)
    if not raw.startswith(_ED25519_PUB) or len(raw) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def p256_public_multikey(public_key: ec.EllipticCurvePublicKey) -> str:
    """The ``publicKeyMultibase`` of a P-256 Multikey (``zDn…``, compressed point)."""
    return multibase_b58(
        _P256_PUB + public_key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    )


def p256_public_key_from_multikey(text: str) -> ec.EllipticCurvePublicKey:
    """Parse a P-256 Multikey ``publicKeyMultibase``; ValueError for any other key."""
    raw = from_multibase_b58(text)
    if not raw.startswith(_P256_PUB) or len(raw) != 35:
        raise ValueError("not a P-256 Multikey")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: Ed25519PublicKey, kid: str) -> dict[str, str]:
    """The public key as an OKP JWK (RFC 8037)."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(public_raw(public_key)),
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    }


def p256_public_jwk(public_key: ec.EllipticCurvePublicKey, kid: str) -> dict[str, str]:
    """The public key as an EC JWK (RFC 7518), for ES256."""
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "alg": "ES256",
        "use": "sig",
    }


def private_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from its 32-byte seed."""
    return Ed25519PrivateKey.from_private_bytes(seed)
