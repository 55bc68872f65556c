"""Fixtures for the Open Badges tests: an issuer, a badge, and a CLI helper."""

from __future__ import annotations

import json

import pytest

from tests.factories import BadgeFactory, IssuerFactory


@pytest.fixture
def issuer(app):
    return IssuerFactory(name="Example University")


@pytest.fixture
def badge(issuer):
    """A badge of no course, with a tag and an alignment."""
    return BadgeFactory(
        issuer=issuer,
        name="Teamwork",
        description="Works well in a team.",
        criteria_narrative="Scored 80 % on the group project.",
        tags=["teamwork"],
        alignments=[
            {"name": "Collaboration", "url": "https://skills.example/collab", "framework": "ESCO"}
        ],
    )


@pytest.fixture
def cli(runner):
    """Run ``flask <args> --json`` and return (exit code, parsed JSON)."""

    def run(*args: str):
        result = runner.invoke(args=[*args, "--json"])
        return result.exit_code, json.loads(result.output.strip().splitlines()[-1])

    return run
