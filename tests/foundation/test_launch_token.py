from freezegun import freeze_time

from app.launch_session import LaunchSession


def _session(staff=False):
    return LaunchSession(registration_id=1, deployment_id=1, context_id=1, user_id=1,
                         is_staff=staff)


def test_staff_page_requires_a_token(client):
    response = client.get("/course/staff")
    assert response.status_code == 401
    assert b"Launch it there" in response.data


def test_forged_token_is_refused(app, client):
    token = _session(staff=True).token()
    response = client.get("/course/staff", query_string={"lt": token[:-2] + "xx"})
    assert response.status_code == 401
    assert b"not valid" in response.data


def test_expired_token_is_refused(app, client):
    with freeze_time("2026-01-01 10:00:00"):
        token = _session(staff=True).token()
    with freeze_time("2026-01-01 12:00:00"):
        response = client.get("/course/staff", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert b"expired" in response.data


def test_learner_token_cannot_open_staff_page(app, client):
    response = client.get("/course/staff", query_string={"lt": _session(staff=False).token()})
    assert response.status_code == 403
