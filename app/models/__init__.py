"""All models, imported here so Alembic and the app see one metadata."""

from app.api.models import ApiKey
from app.models.course import Context, LtiUser, Membership
from app.models.lti import Deployment, Registration, RegistrationStatus, ToolKey
from app.openbadges.models import (
    Assertion,
    Badge,
    BadgeImage,
    Issuer,
    IssuerKey,
    StatusList,
)

__all__ = [
    "ApiKey",
    "Assertion",
    "Badge",
    "BadgeImage",
    "Context",
    "Deployment",
    "Issuer",
    "IssuerKey",
    "LtiUser",
    "Membership",
    "Registration",
    "RegistrationStatus",
    "StatusList",
    "ToolKey",
]
