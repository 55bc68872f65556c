"""All models, imported here so Alembic and the app see one metadata."""

from app.admin.models import AdminUser, RegistrationSource
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
    "AdminUser",
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
    "RegistrationSource",
    "RegistrationStatus",
    "StatusList",
    "ToolKey",
]
