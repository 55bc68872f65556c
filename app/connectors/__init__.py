"""Gradebook connectors: the LMS's own gradebook and completion, read through its REST API.

LTI's AGS shows the tool only its own columns (DESIGN.md "Which grades the tool can see"), so
native quizzes, assignments, the course total and completion come through an LMS-specific
source behind one interface (:class:`app.connectors.base.GradebookSource`): Moodle web
services (:mod:`app.connectors.moodle`). A source's columns become `grade_column` rows with
their ``source`` and its grades the same `GradeEvent`s the AGS sync produces
(:mod:`app.connectors.sync`), so criteria, preview, progress and the pipeline treat them alike.
"""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
import app.models  # noqa: F401
