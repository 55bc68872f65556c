"""The admin console's dashboard per registration, and its exports."""

from __future__ import annotations

import csv
import io

from tests.analytics.test_metrics import seeded  # noqa: F401  (fixture)


def test_registration_dashboard_and_exports(seeded, admin):
    registration = seeded["context"].registration
    index = admin.get("/admin/analytics/")
    assert index.status_code == 200 and registration.public_id in index.text
    page = admin.get(
        f"/admin/analytics/{registration.public_id}",
        query_string={"from": "2026-10-01", "to": "2026-11-10"},
    )
    assert page.status_code == 200, page.text
    assert page.text.count('role="img"') == 4
    assert 'data-metric="issued">5<' in page.text and "per course" not in page.text
    assert 'data-metric="close"' not in page.text  # not a number here: said in words
    assert "counted on each course's own dashboard" in page.text
    export = admin.get(
        f"/admin/analytics/{registration.public_id}/export/assertions.csv",
        query_string={"from": "2026-10-01", "to": "2026-11-10"},
    )
    assert export.is_streamed
    assert len(list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))) == 5
    assert admin.get("/admin/analytics/not-a-registration").status_code == 404


def test_dashboard_needs_the_console_session(app, client):
    assert client.get("/admin/analytics/").status_code == 302
