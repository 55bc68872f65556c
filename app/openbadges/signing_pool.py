"""Signing many credentials at once, in worker processes when the batch is large enough.

Issuing a cohort is CPU work in pure Python (canonicalization, JSON, two signatures per
credential), so one process signs at one core's speed. A batch of at least
``SIGNING_POOL_MIN_BATCH`` credentials is split over ``SIGNING_PROCESSES`` worker processes
(default: the machine's cores; 0 or 1 signs in this process). Workers come from the
forkserver (never a fork of a threaded web or queue process) and live as long as this
process. They receive the private keys as bytes with each task and build their signers once;
they know no database and return exactly what :func:`sign_batch` returns here.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)
from flask import current_app, has_app_context

from app.openbadges.signing import (
    JwtSigner,
    SigningKey,
    make_jwt_signer,
    make_signing_key,
    proofs,
    sign_jwt,
)

# Below this many credentials the hand-over costs more than the second core gains.
SIGNING_POOL_MIN_BATCH = 128
_PER_TASK = 64


@dataclass(frozen=True)
class _Keys:
    """Both private keys as bytes (picklable), and what names them."""

    di_raw: bytes
    verification_method: str
    jwt_der: bytes
    kid: str


def sign_batch(
    credentials: Sequence[dict[str, Any]], key: SigningKey, jwt: JwtSigner, created: datetime
) -> list[tuple[dict[str, Any], str]]:
    """Each credential's Data Integrity proof, and its VC-JWT (of the unsigned credential)."""
    return [
        (proof, sign_jwt(credential, jwt))
        for proof, credential in zip(proofs(credentials, key, created), credentials, strict=True)
    ]


def sign_many(
    credentials: Sequence[dict[str, Any]], key: SigningKey, jwt: JwtSigner, created: datetime
) -> Iterator[tuple[dict[str, Any], str]]:
    """Each credential with its proof, and its VC-JWT, in order; signed in worker processes
    when it pays. Yields as the workers finish, so the caller stores the first credentials
    while the workers still sign the rest; only the proofs and tokens travel back."""
    pool = _pool() if len(credentials) >= SIGNING_POOL_MIN_BATCH else None
    parts: Iterable[tuple[Sequence[dict[str, Any]], list[tuple[dict[str, Any], str]]]]
    if pool is None:
        parts = [(credentials, sign_batch(credentials, key, jwt, created))]
    else:
        keys = _keys(key, jwt)
        starts = range(0, len(credentials), _PER_TASK)
        futures = [
            pool.submit(_sign_part, keys, credentials[start : start + _PER_TASK], created)
            for start in starts
        ]
        parts = (
            (credentials[start : start + _PER_TASK], future.result())
            for start, future in zip(starts, futures, strict=True)
        )
    for part, signatures in parts:
        for credential, (proof, token) in zip(part, signatures, strict=True):
            yield {**credential, "proof": [proof]}, token


def _processes() -> int:
    configured = current_app.config.get("SIGNING_PROCESSES") if has_app_context() else None
    if configured is None or configured == "":
        return os.cpu_count() or 1
    return int(configured)


_pool_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor | None:
    global _executor
    processes = _processes()
    if processes < 2:
        return None
    with _pool_lock:
        if _executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["app.openbadges.signing_pool"])
            _executor = ProcessPoolExecutor(processes, mp_context=context)
            atexit.register(_executor.shutdown, wait=False, cancel_futures=True)
    return _executor


def _keys(key: SigningKey, jwt: JwtSigner) -> _Keys:
    der = jwt.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    raw = key.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _Keys(raw, key.verification_method, der, jwt.kid)


@cache
def _signers(keys: _Keys) -> tuple[SigningKey, JwtSigner]:
    # In a worker: built once per key, like the parent's cache in app.openbadges.issuers.
    private = load_der_private_key(keys.jwt_der, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey | Ed25519PrivateKey):
        raise ValueError("a JWT signing key must be P-256 or Ed25519")
    return (
        make_signing_key(
            Ed25519PrivateKey.from_private_bytes(keys.di_raw), keys.verification_method
        ),
        make_jwt_signer(private, keys.kid),
    )


def _sign_part(
    keys: _Keys, credentials: Sequence[dict[str, Any]], created: datetime
) -> list[tuple[dict[str, Any], str]]:
    key, jwt = _signers(keys)
    return sign_batch(credentials, key, jwt, created)
