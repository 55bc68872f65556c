"""All models, imported here so Alembic and the app see one metadata."""

from app.models.course import Context, LtiUser, Membership
from app.models.lti import Deployment, Registration, RegistrationStatus, ToolKey

__all__ = [
    "Context",
    "Deployment",
    "LtiUser",
    "Membership",
    "Registration",
    "RegistrationStatus",
    "ToolKey",
]
