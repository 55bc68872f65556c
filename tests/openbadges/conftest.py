"""Fixtures for the Open Badges tests: an issuer, a badge, and a CLI helper."""

from __future__ import annotations

import json

import pytest

from app.artwork import badge_artwork
from app.openbadges import operations


@pytest.fixture
def issuer(app):
    return operations.create_issuer(
        "Example University", "https://example.edu", "badges@example.edu"
    )


@pytest.fixture
def badge(issuer):
    return operations.create_badge(
        issuer,
        "Teamwork",
        "Works well in a team.",
        "Scored 80 % on the group project.",
        tags=["teamwork"],
        alignments=[
            {"name": "Collaboration", "url": "https://skills.example/collab", "framework": "ESCO"}
        ],
        artwork=badge_artwork("Teamwork"),
    )


@pytest.fixture
def cli(runner):
    """Run ``flask <args> --json`` and return (exit code, parsed JSON)."""

    def run(*args: str):
        result = runner.invoke(args=[*args, "--json"])
        return result.exit_code, json.loads(result.output.strip().splitlines()[-1])

    return run
