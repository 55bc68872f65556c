"""Signing many credentials at once, in worker processes when the batch is large enough.

Issuing a cohort is CPU work in pure Python (canonicalization, JSON, two signatures per
credential), so one process signs at one core's speed. A batch of at least
``SIGNING_POOL_MIN_BATCH`` credentials is split over ``SIGNING_PROCESSES`` worker processes
(default: the machine's cores; 0 or 1 signs in this process). Workers come from the
forkserver (never a fork of a threaded web or queue process) and live as long as this
process. They receive the private keys as bytes with each task and build their signers once;
they know no database and return exactly what :func:`app.openbadges.stamps.sign` returns
here. A task carries its credentials as stamps and their values (a batch's stamp pickled
once per task), not as whole dicts.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)
from flask import current_app, has_app_context

from app.openbadges import stamps
from app.openbadges.signing import JwtSigner, SigningKey, make_jwt_signer, make_signing_key
from app.openbadges.stamps import Stamp

# Below this many credentials the hand-over costs more than the second core gains.
SIGNING_POOL_MIN_BATCH = 128
# Credentials per worker task: small enough that the workers start while the caller still
# builds credentials and that the caller stores while they sign (a batch of 500 is 8 tasks);
# 32 measured no better (more statements and hand-overs per batch).
_PER_TASK = 64


@dataclass(frozen=True)
class _Keys:
    """Both private keys as bytes (picklable), and what names them."""

    di_raw: bytes
    verification_method: str
    jwt_der: bytes
    kid: str


# A credential to sign: its stamp and the values filling the stamp's slots.
Item = tuple[Stamp, Sequence[str]]


def sign_many(
    credentials: Iterable[Item],
    count: int,
    key: SigningKey,
    jwt: JwtSigner,
    created: datetime,
) -> Iterator[list[tuple[str, str]]]:
    """The ``count`` credentials each with its proof as JSON text, and its VC-JWT (see
    :func:`app.openbadges.stamps.sign`), in order, a part at a time; signed in worker processes when
    it pays.

    ``credentials`` is consumed lazily: each worker task is handed over as soon as its
    credentials are built, so the workers sign while the caller builds the rest, and parts
    come back as the workers finish them, so the caller stores the first ones while the
    workers sign the rest."""
    pool = _pool() if count >= SIGNING_POOL_MIN_BATCH else None
    if pool is None:
        yield stamps.sign(list(credentials), key, jwt, created)
        return
    keys = _keys(key, jwt)
    pending = deque(pool.submit(_sign_part, keys, part, created) for part in _parts(credentials))
    while pending:
        yield pending.popleft().result()


def _parts(items: Iterable[Item]) -> Iterator[list[Item]]:
    part: list[Item] = []
    for item in items:
        part.append(item)
        if len(part) == _PER_TASK:
            yield part
            part = []
    if part:
        yield part


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
    keys: _Keys, credentials: Sequence[Item], created: datetime
) -> list[tuple[str, str]]:
    key, jwt = _signers(keys)
    return stamps.sign(credentials, key, jwt, created)
