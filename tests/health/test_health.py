from unittest import mock


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["queue"]["ok"] is True


def test_healthz_reports_failing_database(client):
    from sqlalchemy.exc import OperationalError

    with mock.patch(
        "app.health.db.session.execute",
        side_effect=OperationalError("SELECT 1", {}, Exception("db down")),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"]["ok"] is False
    assert "db down" in body["checks"]["database"]["error"]


def test_healthz_reports_failing_queue(client):
    with mock.patch(
        "app.background.queue.huey.pending_count", side_effect=ConnectionError("redis gone")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"]["ok"] is False
