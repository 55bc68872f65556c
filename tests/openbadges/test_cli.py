"""The ``flask badges`` contract with --json, end to end through files and URLs."""

from __future__ import annotations

AWARD_KEYS = {
    "assertion_id",
    "ob2_assertion_url",
    "ob3_credential_url",
    "png_url",
    "svg_url",
    "verify_url",
}


def test_cli_contract(cli, client, tmp_path):
    code, issuer = cli(
        "badges",
        "issuer-create",
        "--name",
        "Example U",
        "--url",
        "https://example.edu",
        "--email",
        "badges@example.edu",
    )
    assert code == 0 and set(issuer) == {"id"}
    code, badge = cli(
        "badges",
        "create",
        "--issuer",
        issuer["id"],
        "--name",
        "Teamwork",
        "--description",
        "Works in teams",
        "--criteria",
        "Score 80 %",
        "--expires-days",
        "30",
    )
    assert code == 0 and set(badge) == {"id"}
    code, award = cli(
        "badges",
        "award",
        badge["id"],
        "--email",
        "ana@example.org",
        "--name",
        "Ana",
        "--evidence",
        "https://lms.example/grade/1",
    )
    assert code == 0 and set(award) >= AWARD_KEYS
    for key in ("png_url", "svg_url", "ob2_assertion_url"):
        path = award[key].replace("http://localhost", "")
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 200
        file = tmp_path / f"{key}.{'png' if 'png' in key else 'svg' if 'svg' in key else 'json'}"
        file.write_bytes(response.get_data())
        code, report = cli("badges", "verify", str(file))
        assert code == 0 and report["valid"], (key, report)
    code, _ = cli("badges", "revoke", award["assertion_id"], "--reason", "Issued in error")
    assert code == 0
    for key in ("png_url", "ob2_assertion_url", "ob3_credential_url"):
        code, report = cli("badges", "verify", award[key])
        assert code == 1 and not report["valid"] and report["revoked"], key


def test_cli_unknown_badge(cli):
    code, result = cli("badges", "award", "nope", "--email", "a@b.org", "--name", "A")
    assert code == 1 and result["error"] == "not_found"
