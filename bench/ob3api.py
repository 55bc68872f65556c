"""Course records and the OB 3.0 API: how long a signed CLR takes to build, sign and verify
for a learner holding N badges, and how fast getCredentials pages through them.

Run: ``.venv/bin/python bench/ob3api.py [--badges N] [--repeat N]``. Uses a throw-away SQLite
database built by the migrations; the API is called in-process (Flask test client) with a
bearer token stored as the authorization server stores one.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = Path(tempfile.mkdtemp(prefix="bench-ob3api-"))
os.environ.setdefault("SECRET_KEY", "bench-secret")
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'bench.db'}"
os.environ["RATELIMIT_ENABLED"] = "false"


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:8.1f} ms, max {max(samples) * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--badges", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.artwork import badge_artwork
    from app.extensions import db
    from app.models import Context, Deployment, LtiUser, Membership, Registration
    from app.ob3api import spec
    from app.ob3api.models import Ob3Token
    from app.ob3api.server import digest
    from app.openbadges import badges, clr, issuers, operations, verify
    from app.openbadges.rdfc import canonicalizer
    from bench._machine import machine_facts

    app = create_app({"PUBLIC_BASE_URL": "https://badges.example.org"})
    with app.app_context():
        upgrade()
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id="c",
            auth_login_url="https://lms.example.edu/a",
            auth_token_url="https://lms.example.edu/t",
        )
        db.session.add(registration)
        db.session.flush()
        deployment = Deployment(registration_id=registration.id, deployment_id="d")
        db.session.add(deployment)
        db.session.flush()
        course = Context(
            registration_id=registration.id,
            deployment_id=deployment.id,
            lti_context_id="c1",
            title="Bench course",
        )
        user = LtiUser(issuer=registration.issuer, sub="s", name="Ada", email="ada@example.org")
        db.session.add_all([course, user])
        db.session.flush()
        db.session.add(Membership(context_id=course.id, user_id=user.id, roles=["Learner"]))
        db.session.commit()
        issuer = issuers.create_issuer("Bench U", "https://bench.example", "b@bench.example")
        artwork = badge_artwork("Bench")
        for n in range(args.badges):
            badge = badges.create_badge(
                issuer, f"Skill {n}", "A skill", "Show it", context_id=course.id, artwork=artwork
            )
            operations.issue(
                badge, operations.Recipient(email=user.email, name=user.name, lti_user_id=user.id)
            )

        build, sign, check, size = [], [], [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            document, signer = clr.build_clr(user.id, [course.id])
            built = time.perf_counter()
            record = clr.sign_clr(document, signer)
            signed = time.perf_counter()
            body = json.dumps(record.credential)
            report = verify.verify(body)
            assert report.valid, report.errors
            build.append(built - start)
            sign.append(signed - built)
            check.append(time.perf_counter() - signed)
            size = len(body)

        access = secrets.token_urlsafe(32)
        db.session.add(
            Ob3Token(
                client_id="bench",
                access_token_hash=digest(access),
                scope=spec.CREDENTIAL_READONLY,
                user_id=user.id,
                registration_id=registration.id,
                issued_at=int(time.time()),
                expires_in=3600,
            )
        )
        db.session.commit()
        client = app.test_client()
        pages = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            offset = 0
            while True:
                response = client.get(
                    spec.CREDENTIALS_PATH,
                    query_string={"limit": 10, "offset": offset},
                    headers={"Authorization": f"Bearer {access}"},
                )
                assert response.status_code == 200
                if 'rel="next"' not in response.headers["Link"]:
                    break
                offset += 10
            pages.append(time.perf_counter() - start)

    print(machine_facts())
    print(f"a learner holding {args.badges} badges, {args.repeat} runs each")
    print(f"CLR build (query + assemble)      {_ms(build)}")
    print(f"CLR sign (Data Integrity + JWT)   {_ms(sign)}")
    print(f"CLR verify (schema, proof, each)  {_ms(check)}")
    print(f"CLR size                          {size / 1024:8.1f} KiB")
    print(f"getCredentials, all pages of 10   {_ms(pages)}")
    print(f"canonicalizations that fell back to plain pyld: {canonicalizer.fallbacks}")


if __name__ == "__main__":
    main()
