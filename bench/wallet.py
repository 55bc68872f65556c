"""The OID4VCI flow per wallet, in-process on SQLite: make the offer, redeem the pre-authorized
code, check the wallet's key proof, sign and store the bound copy (both forms).

Run: ``.venv/bin/python bench/wallet.py [--count N]``. Prints milliseconds per step and per
whole flow, and the machine facts. Uses a throw-away SQLite database built by the migrations.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_TMP = Path(tempfile.mkdtemp(prefix="bench-wallet-"))
os.environ.setdefault("SECRET_KEY", "bench-secret")
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'bench.db'}"

BASE = "https://badges.example.org"


def _key_proof(private_key, did: str, nonce: str) -> str:
    from joserfc import jws
    from joserfc.jwk import OKPKey

    header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": f"{did}#{did[8:]}"}
    claims = {"aud": BASE, "iat": int(time.time()), "nonce": nonce}
    key = OKPKey.import_key(private_key)
    return jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=["EdDSA"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from flask_migrate import upgrade

    from app import create_app
    from app.artwork import badge_artwork
    from app.extensions import db
    from app.models import LtiUser
    from app.models.base import utcnow
    from app.openbadges import badges, issuers
    from app.openbadges import operations as ob
    from app.wallets import badge, dids, operations, proofs
    from bench._machine import machine_facts

    app = create_app({"PUBLIC_BASE_URL": BASE})
    steps: dict[str, list[float]] = {"offer": [], "token": [], "proof": [], "bind": []}
    with app.app_context():
        upgrade()
        issuer = issuers.create_issuer("Bench U", "https://bench.example", "b@bench.example")
        design = badges.create_badge(
            issuer, "Bench", "A benchmark badge", "Run the bench", artwork=badge_artwork("Bench")
        )
        users = [LtiUser(issuer="https://lms.example", sub=f"u{i}") for i in range(args.count)]
        db.session.add_all(users)
        db.session.commit()
        awards = ob.issue_many(
            design,
            [
                ob.Award(ob.Recipient(email=f"l{i}@example.org", lti_user_id=u.id))
                for i, u in enumerate(users)
            ],
        )
        db.session.commit()
        for issued, user in zip(awards, users, strict=True):
            wallet_key = Ed25519PrivateKey.generate()
            did = dids.did_key(wallet_key.public_key())
            t0 = time.perf_counter()
            new = operations.create_offer(
                badge.KIND, issued.assertion.public_id, user.id, with_tx_code=False
            )
            t1 = time.perf_counter()
            access = operations.redeem_code(operations.pre_authorized_code(new.key), None)
            offer = operations.offer_by_access_token(access.token)
            t2 = time.perf_counter()
            proof = _key_proof(wallet_key, did, operations.new_nonce())
            holder = proofs.verify_key_proof(
                proof, audience=BASE, nonce_ok=operations.nonce_ok, now=utcnow()
            )
            t3 = time.perf_counter()
            operations.bind(offer, holder)
            t4 = time.perf_counter()
            for name, took in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                steps[name].append(took * 1000)
    totals = [sum(parts) for parts in zip(*steps.values(), strict=True)]
    print(machine_facts())
    print(f"OID4VCI flows, in-process, SQLite, {args.count} wallets (ms, median / p95):")
    labels = {
        "offer": "make the offer (find award, store hashed secrets)",
        "token": "token: redeem the pre-authorized code",
        "proof": "make + check the wallet's key proof (EdDSA JWT, did:key)",
        "bind": "bound copy: sign eddsa-rdfc-2022 + VC-JWT, store",
    }
    for name, values in [*steps.items(), ("total", totals)]:
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"  {labels.get(name, 'whole flow'):58} {statistics.median(values):7.1f} {p95:7.1f}")


if __name__ == "__main__":
    main()
