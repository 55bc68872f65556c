"""Sharing and downloads of awards: counted share links, LinkedIn URLs, verification views.

Every share or download a learner makes goes through one counting endpoint
(``/share/<assertion>/<channel>``) that records a `ShareEvent` and then sends the browser on;
views of the public verification page are recorded as `VerificationView` rows (bots
excluded). Analytics (issue 8) read both tables.
"""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
import app.models  # noqa: F401
