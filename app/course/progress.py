"""What the staff pages say about a tracked job (a gradebook check, an evaluation of every
learner) while it runs and when it ends: one sentence, and the numbers behind it. The page
renders it once and its script polls the same thing as JSON until the job ends."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.grades import jobs
from app.grades.models import Job, JobState


@dataclass(frozen=True)
class JobProgress:
    """A job as the page shows it."""

    id: str
    kind: str
    state: str
    finished: bool
    text: str
    done: int | None = None  # learners checked so far (an evaluation)
    total: int | None = None
    issued: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _awarded(result: dict[str, Any]) -> str:
    issued, review = int(result.get("issued", 0)), int(result.get("review", 0))
    text = f"{_count(issued, 'badge', 'badges')} awarded"
    if review:
        text += f", {_count(review, 'learner', 'learners')} added to the review queue"
    return text + "."


def job_progress(job: Job) -> JobProgress:
    """The job's state in a sentence a teacher can act on."""
    result = job.result or {}
    sync = job.kind == jobs.SYNC
    done = total = None
    if job.state == JobState.QUEUED:
        text = (
            "Waiting for the worker to start the gradebook check…"
            if sync
            else "Waiting for the worker to check every learner…"
        )
    elif job.state == JobState.RUNNING:
        if sync:
            text = "Reading the LMS gradebook and checking who qualifies…"
        elif "total" in result:
            done, total = int(result.get("done", 0)), int(result["total"])
            text = (
                f"Checking learners: {done} of {total}, "
                f"{_count(int(result.get('issued', 0)), 'badge', 'badges')} awarded so far…"
            )
        else:
            text = "Checking every learner against the grades already held…"
    elif job.state == JobState.RETRYING:
        text = (
            f"Attempt {job.attempts} failed; the tool tries again by itself shortly. "
            "Nothing needs doing on your side."
        )
    elif job.state == JobState.DEAD:
        text = (
            f"The {'gradebook check' if sync else 'check of every learner'} failed "
            f"{_count(job.attempts, 'time', 'times')} and has stopped. Press Check now to "
            "try again; if it keeps failing, tell your Badgebridge administrator."
        )
    elif "skipped" in result:
        text = "Gradebook checked: another check that ran meanwhile read it for this one."
    elif sync:
        text = (
            f"Gradebook checked: {_count(int(result.get('changed', 0)), 'grade', 'grades')}"
            f" changed; {_count(int(result.get('evaluated', 0)), 'learner', 'learners')}"
            f" checked, " + _awarded(result)
        )
    else:
        text = (
            f"Checked {_count(int(result.get('evaluated', 0)), 'learner', 'learners')}"
            " against the grades already held: " + _awarded(result)
        )
    return JobProgress(
        job.public_id,
        job.kind,
        job.state,
        job.state in (JobState.DONE, JobState.DEAD),
        text,
        done,
        total,
        int(result.get("issued", 0)),
    )
