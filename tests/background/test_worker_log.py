"""The worker's log says one line per job: polls of the periodic sweeps say nothing."""

from __future__ import annotations

import logging

from app.background.queue import QuietPolls


def _record(message: str, level: int = logging.INFO, name: str = "huey") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_polls_are_quiet_and_jobs_say_one_line(app):
    quiet = QuietPolls()
    dropped = [
        "Executing app.grades.tasks.run_job_task: 5d1c",
        "Enqueueing periodic task app.grades.tasks.sweep_task: 2370.",
        "app.grades.tasks.sweep_task: 2370 executed in 0.004s",
        "app.webhooks.tasks.sweep: 9e57 executed in 0.023s",
    ]
    assert [m for m in dropped if quiet.filter(_record(m))] == []
    assert quiet.filter(_record("app.grades.tasks.run_job_task: 5d1c executed in 1.204s"))
    # A sweep that fails is always heard.
    assert quiet.filter(_record("app.grades.tasks.sweep_task: 2370 failed", logging.ERROR))
