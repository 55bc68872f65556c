"""A teacher presses Check now in the Moodle-like course and reads how the check went.

The tool knows the platform only from `config.json` (as `make run` registers it), so it does
not know it is a Moodle: its first paged results request fails as on Moodle 4.5 (an HTML 404)
and the check must still read every grade and say it succeeded.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from app.audit import SYSTEM
from tests.support.lti_env import course_of, login_of, tool_columns

pytestmark = pytest.mark.browser


@pytest.fixture
def imported(app, lti_env):
    """The sandbox platforms registered as `flask lti import-config config.json` does."""
    from app.registrations.operations import import_config_file
    from lti.sandbox.seed import write_tool_config

    app.config["PUBLIC_BASE_URL"] = lti_env.tool_url
    path = Path(tempfile.mkdtemp(prefix="config-")) / "config.json"
    write_tool_config(list(lti_env.platforms.values()), path)
    import_config_file(path, actor=SYSTEM)
    return lti_env


def test_check_now_on_moodle_reads_the_grades_and_says_so(imported, chromium_context):
    from lti.sandbox.seed import course_url

    course_id, _title, _people = course_of(imported, "moodle")
    page = chromium_context.new_page()
    page.goto(
        course_url(
            imported.sandbox, "moodle", course_id, login_of(imported, "moodle", "#Instructor")
        )
    )
    page.get_by_role("link", name="Badgebridge").first.click()
    link = page.frame_locator("iframe.tool-frame").locator("#lti1p3-new-tab-link")
    link.wait_for(timeout=60_000)
    with chromium_context.expect_page() as popup_info:
        link.click()
    tool = popup_info.value
    tool.locator('[data-testid="open-awards"]').click(timeout=60_000)
    tool.locator('[data-testid="check-now"]').click(timeout=60_000)
    outcome = tool.locator('[data-testid="last-sync"]')
    outcome.wait_for(timeout=60_000)
    text = " ".join(outcome.inner_text().split())
    assert "succeeded" in text, text
    columns, grades = map(int, re.search(r"Read (\d+) columns? and (\d+) grades?", text).groups())
    # Every column of the tool's in the course: the demo's three, and any an earlier test on
    # this shared sandbox added (AGS shows them all).
    assert columns == len(tool_columns(imported, "moodle")) >= 3 and grades > 0
    assert "HTML" not in text and "404" not in text
