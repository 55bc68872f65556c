"""A queue consumer's app (``create_app(serve_web=False)``, what ``flask worker`` runs): no web
route, the same award email as the web app's, and a grade sync that loads neither the web side
nor the JSON-LD library. Each consumer runs in a fresh interpreter, as ``flask worker`` does
(this test process has imported everything already)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from itsdangerous.timed import TimestampSigner

from app.extensions import db
from app.notifications.messages import award_message
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, PersonFactory
from tests.grades.support import new_course

ROOT = Path(__file__).resolve().parents[2]

# Modules a consumer never needs: the web side's, and pyld with lxml (only canonicalizing or
# expanding a credential loads them, and a grade sync without badges does neither).
NOT_IN_A_CONSUMER = (
    "app.web",
    "app.health",
    "app.launch.views",
    "app.ob3api.views",
    "app.registrations.views",
    "app.learner.views",
    "pyld",
    "lxml",
)

_CONSUMER = """
import json, sys
from app import create_app
app = create_app({{"PUBLIC_BASE_URL": "http://localhost"}}, serve_web=False)
with app.app_context():
    from app.extensions import db
{work}
print(json.dumps(out))
"""

# The accept link is a signed token with its time in it: both apps sign at the same instant.
_SIGNED_AT = 1_700_000_000

_EMAIL = f"""
    from itsdangerous.timed import TimestampSigner
    TimestampSigner.get_timestamp = lambda self: {_SIGNED_AT}
    from app.notifications.messages import award_message
    from app.openbadges.models import Assertion
    out = {{
        "rules": sorted(rule.rule for rule in app.url_map.iter_rules()),
        "blueprints": sorted(app.blueprints),
        "email": award_message(db.session.get(Assertion, int(sys.argv[1])), "k").as_string(),
    }}
"""

_SYNC = f"""
    from app.grades.sync import sync_course
    result = sync_course(int(sys.argv[1]))
    loaded = [name for name in {NOT_IN_A_CONSUMER!r} if name in sys.modules]
    out = {{"results": result.results, "loaded": loaded}}
"""


def _in_consumer(work: str, arg: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CONSUMER.format(work=work), str(arg)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _parts(message: EmailMessage) -> list[tuple[str, Any]]:
    """Headers, then each part's type and decoded content (MIME boundaries are random)."""
    parts: list[tuple[str, Any]] = [
        (name, str(value)) for name, value in message.items() if name != "Content-Type"
    ]
    for part in message.walk():
        content = None if part.is_multipart() else part.get_content()  # type: ignore[attr-defined]
        parts.append((part.get_content_type(), content))
    return parts


def test_flask_worker_becomes_a_web_free_consumer_in_the_same_process(app, tmp_path):
    env = {**os.environ, "HUEY_SQLITE_PATH": str(tmp_path / "jobs.db")}
    env.pop("HUEY_IMMEDIATE")
    env.pop("REDIS_URL", None)  # its own queue: nothing another test left in Redis
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "-w", "1"]
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [*command, "--no-periodic"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 120
        while "consumer started" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.1)
        running = Path(f"/proc/{worker.pid}/cmdline").read_bytes().split(b"\0")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    assert f"PID {worker.pid}" in log.read_text()
    assert [arg.decode() for arg in running[1:-1]] == [
        "-m",
        "app.background.consumer",
        *("-w", "1", "-k", "thread", "--no-periodic"),
    ]


def test_consumer_app_has_no_web_route_and_sends_the_web_apps_award_email(app, monkeypatch):
    course = CourseFactory(title="Biology 101")
    learner = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    awarded = AwardFactory(badge=BadgeFactory(context=course, name="Cell Biology"), user=learner)
    db.session.commit()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: _SIGNED_AT)
    web = award_message(awarded, "k")
    assert "http://localhost/" in web.get_body(("plain",)).get_content()  # absolute links

    consumer = _in_consumer(_EMAIL, awarded.id)

    assert consumer["rules"] == ["/static/<path:filename>"]
    assert consumer["blueprints"] == []
    sent = message_from_string(consumer["email"], policy=policy.default)
    assert isinstance(sent, EmailMessage)
    assert _parts(sent) == _parts(web)


def test_a_consumers_sync_loads_neither_the_web_side_nor_json_ld(app, registered, browser):
    course = new_course(registered, browser, learners=20, columns=(("Exam", 100.0), ("Quiz", 10.0)))
    db.session.commit()

    consumer = _in_consumer(_SYNC, course.context.id)

    assert consumer["results"] == 40
    assert consumer["loaded"] == []
