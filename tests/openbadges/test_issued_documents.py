"""What issuing signs and serves, byte for byte, against documents recorded before the issuing
path was made fast (``vectors/issued-documents.json``).

Every random input is fixed (ids, salts, status slots, keys, the time), so the OB 3.0
credential with its Ed25519 proof (deterministic), the VC-JWT's header and payload and the
OB 2.0 assertion must come out exactly as recorded.
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from app import secret_box
from app.extensions import db
from app.openbadges import documents, operations
from app.openbadges.keys import p256_public_multikey, private_from_seed, public_multikey
from app.openbadges.models import STATUS_LIST_SIZE, KeyAlgorithm, StatusList

GOLDEN = Path(__file__).parent / "vectors" / "issued-documents.json"
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _fixed_randomness(monkeypatch) -> None:
    counter = itertools.count(1)

    def identities(count: int) -> list[tuple[str, str, str]]:
        return [
            (
                f"{next(counter):032x}",
                str(uuid.UUID(int=0xA000 + next(counter))),
                str(uuid.UUID(int=0xB000 + next(counter))),
            )
            for _ in range(count)
        ]

    monkeypatch.setattr(operations, "random_identities", identities)
    monkeypatch.setattr(operations, "secrets", SimpleNamespace(randbelow=lambda n: 7 % n))


def _fixed_keys(issuer) -> None:
    for key in issuer.keys:
        if key.algorithm == KeyAlgorithm.P256:
            private = ec.derive_private_key(123456789, ec.SECP256R1())
            key.public_key_multibase = p256_public_multikey(private.public_key())
            raw = private.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        else:
            private_ed = private_from_seed(bytes(range(32)))
            key.public_key_multibase = public_multikey(private_ed.public_key())
            raw = private_ed.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key.private_key_encrypted = secret_box.encrypt(raw)


def _jwt_parts(token: str) -> list[str]:
    # As text: the order of the members is part of what is compared.
    header, payload, _signature = token.split(".")
    return [base64.urlsafe_b64decode(part + "==").decode() for part in (header, payload)]


def issued_documents(monkeypatch, issuer, badge) -> dict[str, Any]:
    """Issue a fixed set of awards with fixed randomness; their documents by recipient."""
    _fixed_randomness(monkeypatch)
    issuer.public_id = "00000000-0000-0000-0000-00000000a1a1"
    badge.public_id = "00000000-0000-0000-0000-00000000b1b1"
    badge.evidence_shows_scores = True
    _fixed_keys(issuer)
    status_list = StatusList(
        public_id="00000000-0000-0000-0000-00000000c1c1",
        issuer_id=issuer.id,
        size=STATUS_LIST_SIZE,
        allocated=0,
        scramble=7,
    )
    db.session.add(status_list)
    db.session.flush()
    operations.publish_status_list(status_list, NOW)
    db.session.commit()
    awards = [
        operations.Award(
            operations.Recipient(email=" Ada@Example.org ", name="Ada Lovelace"),
            evidence=[{"name": "Criteria met", "narrative": 'Quiz "1": 85 %\nline two'}],
            results=[{"criterion": "/all/0", "name": "Quiz 1", "percent": 85.0}],
        ),
        operations.Award(
            operations.Recipient(email="bob@example.org", name="Bob"),
            expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            evidence=[{"url": "https://example.org/work", "narrative": "Élan — 🎉"}],
        ),
        operations.Award(operations.Recipient(email="carol@example.org")),
    ]
    issued = operations.issue_many(badge, awards, now=NOW)
    db.session.expire_all()  # what was stored, not what is in hand
    out = {}
    for done in issued:
        assertion = done.assertion
        out[assertion.recipient_email] = {
            # As text: the order of the members is part of what is compared.
            "credential": json.dumps(assertion.credential, ensure_ascii=False),
            "jwt": _jwt_parts(assertion.credential_jwt),
            "ob2": documents.ob2_assertion(assertion),
        }
    return out


def test_issued_documents_are_as_recorded(monkeypatch, issuer, badge):
    expected = json.loads(GOLDEN.read_text())
    assert issued_documents(monkeypatch, issuer, badge) == expected
