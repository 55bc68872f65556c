"""A learner's public profile: an opt-in page listing the badges they chose to show.

Off by default; the learner turns it on and picks badges from My badges. The page's URL is a
random token kept for life, so a link shared once keeps working. Revoked, expired or replaced
awards are never shown, whatever was chosen.
"""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
import app.models  # noqa: F401
