"""Readable, specific errors for rejected LTI messages and failed registrations.

Every rejection carries a stable ``code`` (for logs and tests), a title and message for the
person who sees it, a hint for the LMS administrator and the HTTP status to answer with.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass
class LaunchRejected(Exception):
    """An LTI message the tool refuses; rendered as an error page, never a stack trace."""

    code: str
    message: str
    hint: str = ""
    status: int = 400
    # Messages are lazy (flask_babel.lazy_gettext): read in the language of the page showing them.
    title: str = _l("This launch was refused")

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class RegistrationFailed(Exception):
    """Dynamic registration could not complete; rendered as a readable error page."""

    code: str
    message: str
    status: int = 502
    hint: str = ""
    title: str = _l("The registration did not complete")

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


HINTS = {
    "registration": _l(
        "Register this platform in Badgebridge's admin console (or with dynamic registration) "
        "using the same issuer and client ID the LMS shows for the tool."
    ),
    "keys": _l(
        "Check the platform's public key set URL in the tool's registration, and that the LMS "
        "signs launches with RS256 using a key published there."
    ),
    "clock": _l("Check that the clocks of the LMS server and of the tool are synchronized (NTP)."),
    "browser": _l(
        "Launch the tool again from the course. If it keeps failing, the browser may be "
        "blocking storage for embedded tools; open the tool in a new window."
    ),
}
