"""All models, imported here so Alembic and the app see one metadata."""

from app.admin.models import AdminUser, RegistrationChange, RegistrationSource
from app.api.models import ApiKey
from app.audit.models import AuditChainHead, AuditRecord
from app.awards.models import AwardDecision, OutboxMessage, ReviewItem
from app.connectors.models import CanvasAuthorization, GradebookConnector
from app.grades.models import Column, Grade, GradeEventSecret, Job
from app.models.course import Context, LtiUser, Membership
from app.models.lti import Deployment, Registration, RegistrationStatus, ToolKey
from app.ob3api.models import (
    Ob3AuthorizationCode,
    Ob3Client,
    Ob3ConsentRequest,
    Ob3Host,
    Ob3Push,
    Ob3Token,
)
from app.openbadges.models import (
    Assertion,
    Badge,
    BadgeImage,
    Issuer,
    IssuerKey,
    StatusList,
)
from app.profile.models import LearnerProfile, ProfileBadge
from app.sharing.models import ShareEvent, VerificationView
from app.wallets.models import WalletCredential, WalletOffer
from app.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "AdminUser",
    "ApiKey",
    "Assertion",
    "AuditChainHead",
    "AuditRecord",
    "AwardDecision",
    "Badge",
    "BadgeImage",
    "CanvasAuthorization",
    "Column",
    "Context",
    "Deployment",
    "Grade",
    "GradeEventSecret",
    "GradebookConnector",
    "Issuer",
    "IssuerKey",
    "Job",
    "LearnerProfile",
    "LtiUser",
    "Membership",
    "Ob3AuthorizationCode",
    "Ob3Client",
    "Ob3ConsentRequest",
    "Ob3Host",
    "Ob3Push",
    "Ob3Token",
    "OutboxMessage",
    "ProfileBadge",
    "Registration",
    "RegistrationChange",
    "RegistrationSource",
    "RegistrationStatus",
    "ReviewItem",
    "ShareEvent",
    "StatusList",
    "ToolKey",
    "VerificationView",
    "WalletCredential",
    "WalletOffer",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
