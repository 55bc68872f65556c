"""Open Badges models: issuers and keys, badges and artwork, assertions, status lists."""

from app.openbadges.models.assertion import Assertion, StoredAssertion
from app.openbadges.models.badge import (
    Badge,
    BadgeImage,
    BadgeStatus,
    BadgeTranslation,
    ExpiryPolicy,
)
from app.openbadges.models.issuer import Issuer, IssuerKey, KeyAlgorithm, KeyStatus
from app.openbadges.models.status_list import STATUS_LIST_SIZE, StatusList

__all__ = [
    "STATUS_LIST_SIZE",
    "Assertion",
    "Badge",
    "BadgeImage",
    "BadgeStatus",
    "BadgeTranslation",
    "ExpiryPolicy",
    "Issuer",
    "IssuerKey",
    "KeyAlgorithm",
    "KeyStatus",
    "StatusList",
    "StoredAssertion",
]
