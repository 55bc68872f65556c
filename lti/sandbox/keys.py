"""Keys: the platform's own RSA keys, and the tools' key sets fetched over HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid
from functools import lru_cache
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lti.sandbox.models import Platform, PlatformKey


def generate_private_pem() -> str:
    """A fresh 2048-bit RSA private key in PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def add_platform_key(s: Session, platform: Platform) -> PlatformKey:
    """Give ``platform`` a new signing key (rotation: older keys stay published)."""
    key = PlatformKey(
        platform_id=platform.id, kid=uuid.uuid4().hex, private_pem=generate_private_pem()
    )
    s.add(key)
    s.flush()
    return key


_NEWEST_KEY = (  # every id_token asks: built once
    select(PlatformKey)
    .where(PlatformKey.platform_id == bindparam("platform"))
    .order_by(PlatformKey.id.desc())
    .limit(1)
)


def signing_key(s: Session, platform: Platform) -> PlatformKey:
    """The newest key of ``platform``: it signs id_tokens."""
    key = s.scalars(_NEWEST_KEY, {"platform": platform.id}).first()
    if key is None:
        key = add_platform_key(s, platform)
    return key


@lru_cache(maxsize=64)
def _loaded(private_pem: str) -> rsa.RSAPrivateKey:
    """The key object of a PEM, parsed once per process.

    Loading an RSA private key checks the key's consistency (about 40 ms with OpenSSL 3); a
    real platform holds its signing keys loaded, and re-parsing on every launch made the
    sandbox's authorization endpoint cost more than the tool's whole launch.
    """
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)  # the platform's keys are RSA
    return private


@lru_cache(maxsize=64)
def _public_jwk_json(private_pem: str) -> str:
    return RSAAlgorithm.to_jwk(_loaded(private_pem).public_key())


def public_jwk(key: PlatformKey) -> dict[str, Any]:
    """The public JWK of a platform key, as its JWKS endpoint serves it."""
    jwk = json.loads(_public_jwk_json(key.private_pem))
    jwk.update({"kid": key.kid, "alg": "RS256", "use": "sig"})
    return jwk


def platform_jwks(s: Session, platform: Platform) -> dict[str, Any]:
    """All published keys of ``platform``."""
    keys = s.scalars(select(PlatformKey).where(PlatformKey.platform_id == platform.id)).all()
    return {"keys": [public_jwk(k) for k in keys]}


def sign(s: Session, platform: Platform, claims: dict[str, Any]) -> str:
    """RS256-sign ``claims`` with the platform's current key (kid in the header)."""
    key = signing_key(s, platform)
    return jwt.encode(claims, _loaded(key.private_pem), algorithm="RS256", headers={"kid": key.kid})


class KeySetError(Exception):
    """The tool's key set could not be fetched or has no usable key for the token."""


class ToolKeySets:
    """Fetches tools' JWKS over HTTP, caches them briefly, refetches on an unknown kid (a tool
    that rotated its key publishes the new one before using it)."""

    def __init__(self, http: requests.Session | None = None, ttl: float = 300.0) -> None:
        self.http = http or requests.Session()
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            resp = self.http.get(url, timeout=10, headers={"Accept": "application/json"})
            resp.raise_for_status()
            jwks = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise KeySetError(f"cannot fetch the tool's key set {url}: {exc}") from exc
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise KeySetError(f"{url} is not a JWK set")
        with self._lock:
            self._cache[url] = (time.monotonic(), jwks)
        return jwks

    def _cached(self, url: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._cache.get(url)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def key_for(self, url: str, token: str) -> Any:
        """The public key that should verify ``token`` (by its header's kid)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise KeySetError(f"malformed JWT: {exc}") from exc
        if header.get("alg") != "RS256":
            raise KeySetError("only RS256 is accepted")
        kid = header.get("kid")
        jwks = self._cached(url)
        fresh = False
        if jwks is None:
            jwks, fresh = self._fetch(url), True
        jwk = _pick(jwks, kid)
        if jwk is None and not fresh:
            jwk = _pick(self._fetch(url), kid)
        if jwk is None:
            raise KeySetError(f"no key with kid {kid!r} in the tool's key set")
        return RSAAlgorithm.from_jwk(json.dumps(jwk))


def _pick(jwks: dict[str, Any], kid: str | None) -> dict[str, Any] | None:
    rsa_keys = [k for k in jwks.get("keys", []) if k.get("kty") == "RSA"]
    if kid is None:
        # Without a kid only an unambiguous key set will do.
        return rsa_keys[0] if len(rsa_keys) == 1 else None
    return next((k for k in rsa_keys if k.get("kid") == kid), None)
