"""The Open Badges documents: where our names meet the standards' names.

A ``Badge`` is an OB 2.0 ``BadgeClass`` and an OB 3.0 ``Achievement``; an ``Assertion`` is an
OB 2.0 ``Assertion`` and the subject of an OB 3.0 ``OpenBadgeCredential``. This module is the
one place that maps one vocabulary to the other. Everything here is pure (models in, dicts
out); signing happens in :mod:`app.openbadges.signing`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from app.database import as_utc
from app.openbadges import urls
from app.openbadges.jsonld import DID_V1, MULTIKEY_V1, OB3_CONTEXT, OB_V2, VC_V2
from app.openbadges.keys import (
    p256_public_jwk,
    p256_public_key_from_multikey,
    public_jwk,
    public_key_from_multikey,
)
from app.openbadges.models import (
    Assertion,
    Badge,
    Issuer,
    IssuerKey,
    KeyAlgorithm,
    KeyStatus,
    StatusList,
)
from app.openbadges.signing import isoformat
from app.openbadges.translations import BadgeText, badge_texts


def iso(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp as both specs expect it."""
    return isoformat(as_utc(moment))


def badge_image_url(badge: Badge, version: int | None = None) -> str:
    """The PNG of a badge's artwork (the current version unless ``version`` is given)."""
    return urls.public_url(
        urls.BADGE_IMAGE,
        badge.public_id,
        version=badge.image_version if version is None else version,
        ext="png",
    )


def verification_method(issuer: Issuer, key: IssuerKey) -> str:
    """A key's id: its own URL, which answers the key as a Multikey document."""
    return urls.public_url(urls.ISSUER_KEY, issuer.public_id, key=key.public_key_multibase)


def key_jwk_url(issuer: Issuer, key: IssuerKey) -> str:
    """A key's JOSE ``kid``: its URL answering the bare public JWK."""
    return urls.public_url(urls.ISSUER_KEY_JWK, issuer.public_id, key=key.public_key_multibase)


def legacy_verification_method(issuer: Issuer, key: IssuerKey) -> str:
    """The id credentials signed before keys had their own URLs carry: a fragment of the
    controller document. Still listed there so those credentials keep verifying."""
    return f"{urls.public_url(urls.ISSUER_OB3, issuer.public_id)}#{key.public_key_multibase}"


# --- OB 2.0 (hosted verification) ---------------------------------------------------------------


def ob2_issuer(issuer: Issuer) -> dict[str, Any]:
    """The OB 2.0 Issuer Profile."""
    doc: dict[str, Any] = {
        "@context": OB_V2,
        "type": "Issuer",
        "id": urls.public_url(urls.ISSUER_OB2, issuer.public_id),
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image_url:
        doc["image"] = issuer.image_url
    return doc


def badge_url(badge: Badge, ob3: bool, language: str | None = None) -> str:
    """The BadgeClass (OB 2.0) or Achievement (OB 3.0) URL of ``badge`` in ``language``:
    the badge's own URL for its own language, a variant's URL for the others."""
    if language is None or language == badge.language:
        return urls.public_url(urls.ACHIEVEMENT_OB3 if ob3 else urls.BADGE_OB2, badge.public_id)
    pattern = urls.ACHIEVEMENT_OB3_LANGUAGE if ob3 else urls.BADGE_OB2_LANGUAGE
    return urls.public_url(pattern, badge.public_id, language=language)


def _in_language(badge: Badge, language: str | None) -> tuple[BadgeText, list[str]]:
    """The badge's text in ``language`` (its own by default) and its other languages.

    Raises ``KeyError`` for a language the badge has no variant in."""
    texts = badge_texts(badge)
    text = texts[language or badge.language]
    return text, [tag for tag in texts if tag != text.language]


def ob2_badgeclass(badge: Badge, language: str | None = None) -> dict[str, Any]:
    """The OB 2.0 BadgeClass, in the badge's own language or one of its variants: its
    ``@language``, and the other languages as ``related`` BadgeClasses."""
    text, others = _in_language(badge, language)
    doc: dict[str, Any] = {
        "@context": OB_V2,
        "type": "BadgeClass",
        "id": badge_url(badge, False, text.language),
        "@language": text.language,
        "name": text.name,
        "description": text.description,
        "image": badge_image_url(badge),
        "criteria": {"narrative": text.criteria_narrative},
        "issuer": urls.public_url(urls.ISSUER_OB2, badge.issuer.public_id),
    }
    if others:
        doc["related"] = [{"id": badge_url(badge, False, tag), "@language": tag} for tag in others]
    if badge.tags:
        doc["tags"] = list(badge.tags)
    if badge.alignments:
        doc["alignment"] = [_ob2_alignment(a) for a in badge.alignments]
    return doc


def _ob2_alignment(alignment: dict[str, str]) -> dict[str, str]:
    out = {"targetName": alignment["name"], "targetUrl": alignment["url"]}
    if alignment.get("framework"):
        out["targetFramework"] = alignment["framework"]
    return out


def _evidence_items(evidence: Sequence[dict[str, Any]] | None, ob3: bool) -> list[dict[str, Any]]:
    items = []
    for entry in evidence or []:
        item: dict[str, Any] = {}
        if entry.get("url"):
            item["id"] = entry["url"]
        if ob3:
            item["type"] = ["Evidence"]
        for key in ("name", "narrative", "description"):
            if entry.get(key):
                item[key] = entry[key]
        items.append(item)
    return items


def ob2_assertion(assertion: Assertion) -> dict[str, Any]:
    """The OB 2.0 hosted Assertion; a revoked one still answers, saying so."""
    badge = assertion.badge
    doc: dict[str, Any] = {
        "@context": OB_V2,
        "type": "Assertion",
        "id": urls.public_url(urls.ASSERTION_OB2, assertion.public_id),
        "recipient": {
            "type": "email" if assertion.recipient_email else "url",
            "hashed": True,
            "salt": assertion.salt,
            "identity": assertion.identity_hash,
        },
        "badge": urls.public_url(urls.BADGE_OB2, badge.public_id),
        "verification": {"type": "hosted"},
        "issuedOn": iso(assertion.issued_on),
        "image": urls.public_url(urls.BAKED_OB2, assertion.public_id, ext="png"),
    }
    if assertion.expires_at:
        doc["expires"] = iso(assertion.expires_at)
    if evidence := _evidence_items(assertion.evidence, ob3=False):
        doc["evidence"] = evidence
    if assertion.revoked:
        doc["revoked"] = True
        doc["revocationReason"] = assertion.revocation_reason or ""
    return doc


# --- OB 3.0 (verifiable credentials) ------------------------------------------------------------


def ob3_profile(issuer: Issuer) -> dict[str, Any]:
    """The issuer as an OB 3.0 Profile, embedded in each credential."""
    doc: dict[str, Any] = {
        "id": urls.public_url(urls.ISSUER_OB3, issuer.public_id),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image_url:
        doc["image"] = {
            "id": issuer.image_url,
            "type": "Image",
            "caption": f"Logo of {issuer.name}",
        }
    return doc


def badge_image(badge: Badge, image_version: int | None = None) -> dict[str, str]:
    """The artwork as an OB 3.0 Image, captioned with the design's alt text (else the name)."""
    alt = (
        str((badge.design or {}).get("alt_text") or "").strip()
        if isinstance(badge.design, dict)
        else ""
    )
    return {
        "id": badge_image_url(badge, image_version),
        "type": "Image",
        "caption": alt or badge.name,
    }


def achievement_version(badge: Badge) -> str:
    """A version string that changes whenever what the badge asks (its name, description or
    criteria) changes: rules may change after an award, and each credential keeps the
    version it was earned under."""
    rules = json.dumps(
        [badge.name, badge.description, badge.criteria_narrative, badge.criteria],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(rules.encode()).hexdigest()[:12]


def ob3_achievement(
    badge: Badge,
    image_version: int | None = None,
    context: bool = False,
    language: str | None = None,
) -> dict[str, Any]:
    """The badge as an OB 3.0 Achievement (with ``@context`` when served on its own), in
    its own language or one of its variants; the other languages are ``related``."""
    text, others = _in_language(badge, language)
    doc: dict[str, Any] = {"@context": OB3_CONTEXT} if context else {}
    doc.update(
        {
            "id": badge_url(badge, True, text.language),
            "type": ["Achievement"],
            "achievementType": badge.achievement_type or "Badge",
            "name": text.name,
            "description": text.description,
            "criteria": {"narrative": text.criteria_narrative},
            "image": badge_image(badge, image_version),
            "creator": ob3_profile(badge.issuer),
            "version": achievement_version(badge),
            "inLanguage": text.language,
        }
    )
    if others:
        doc["related"] = [
            {"id": badge_url(badge, True, tag), "type": ["Related"], "inLanguage": tag}
            for tag in others
        ]
    if badge.tags:
        doc["tag"] = list(badge.tags)
    if badge.alignments:
        doc["alignment"] = [{"type": ["Alignment"], **_ob2_alignment(a)} for a in badge.alignments]
    return doc


def status_entry(status_list: StatusList, index: int) -> dict[str, str]:
    """A ``BitstringStatusListEntry`` pointing at one bit of the issuer's revocation list."""
    list_url = urls.public_url(urls.STATUS_LIST, status_list.public_id)
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": status_list.purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def _with_results(
    achievement: dict[str, Any], subject: dict[str, Any], results: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The achievement describing each scored criterion (``resultDescription``) and the
    subject's ``result`` for it; ids name the criterion's place in the criteria document."""
    descriptions, values = [], []
    for result in results:
        description_id = f"{achievement['id']}#criterion{result['criterion']}"
        descriptions.append(
            {
                "id": description_id,
                "type": ["ResultDescription"],
                "name": result["name"],
                "resultType": "Percent",
            }
        )
        values.append(
            {
                "type": ["Result"],
                "resultDescription": description_id,
                "value": f"{result['percent']:g}",
            }
        )
    subject["result"] = values
    return {**achievement, "resultDescription": descriptions}


def ob3_credential(
    row: Mapping[str, Any],
    achievement: dict[str, Any],
    status_list: StatusList,
    results: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of an assertion, from its row as it is inserted
    (the ``Assertion`` columns by name: issuing a cohort builds no ORM object to sign).

    ``achievement`` is passed in (built once per badge) so issuing a cohort does not
    rebuild it per learner. ``results`` (criterion, name, percent) become the subject's
    ``result`` and the achievement's ``resultDescription``: pass them only with consent.
    """
    subject: dict[str, Any] = {"id": row["subject_id"], "type": ["AchievementSubject"]}
    if row["recipient_email"]:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityHash": row["identity_hash"],
                "identityType": "emailAddress",
                "hashed": True,
                "salt": row["salt"],
            }
        ]
    subject["achievement"] = (
        _with_results(achievement, subject, results) if results else achievement
    )
    issued_on = iso(row["issued_on"])
    doc: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": urls.public_url(urls.CREDENTIAL_OB3, row["public_id"]),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": achievement["creator"],
        "validFrom": issued_on,
        "awardedDate": issued_on,
        "name": achievement["name"],
        "description": achievement["description"],
        "image": achievement["image"],
        "inLanguage": achievement["inLanguage"],
        "credentialSubject": subject,
    }
    if row["expires_at"]:
        doc["validUntil"] = iso(row["expires_at"])
    if evidence := _evidence_items(row["evidence"], ob3=True):
        doc["evidence"] = evidence
    doc["credentialStatus"] = status_entry(status_list, row["status_index"])
    return doc


def status_list_credential(
    status_list: StatusList, issuer: Issuer, encoded_list: str, now: datetime
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential for ``status_list``."""
    list_url = urls.public_url(urls.STATUS_LIST, status_list.public_id)
    return {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": urls.public_url(urls.ISSUER_OB3, issuer.public_id),
        "validFrom": iso(now),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": encoded_list,
        },
    }


def published_keys(issuer: Issuer) -> list[IssuerKey]:
    """Keys a verifier may use: the active one and retired ones (old credentials)."""
    return [k for k in issuer.keys if k.status != KeyStatus.REVOKED]


def _multikey(issuer: Issuer, key: IssuerKey, method_id: str) -> dict[str, Any]:
    return {
        "id": method_id,
        "type": "Multikey",
        "controller": urls.public_url(urls.ISSUER_OB3, issuer.public_id),
        "publicKeyMultibase": key.public_key_multibase,
    }


def key_document(issuer: Issuer, key: IssuerKey) -> dict[str, Any]:
    """One key at its own URL: a Multikey naming its controller (the issuer id)."""
    return {"@context": [MULTIKEY_V1], **_multikey(issuer, key, verification_method(issuer, key))}


def controller_document(issuer: Issuer) -> dict[str, Any]:
    """What the OB 3.0 issuer id serves: every published key, by its URL under
    ``verificationMethod`` and ``assertionMethod`` (a verifier that fetched the key checks it
    is listed here), and under its old ``#fragment`` id embedded in ``assertionMethod`` as
    before, for credentials signed with that id."""
    keys = published_keys(issuer)
    method_ids = [verification_method(issuer, key) for key in keys]
    legacy = [_multikey(issuer, key, legacy_verification_method(issuer, key)) for key in keys]
    issuer_id = urls.public_url(urls.ISSUER_OB3, issuer.public_id)
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": issuer_id,
        "verificationMethod": [
            _multikey(issuer, key, method_id)
            for key, method_id in zip(keys, method_ids, strict=True)
        ],
        "assertionMethod": [*method_ids, *legacy],
        # Where VC-JWT verifiers find the same keys as JWKs.
        "service": [
            {
                "id": f"{issuer_id}#jwks",
                "type": "JsonWebKeySet",
                "serviceEndpoint": urls.public_url(urls.ISSUER_JWKS, issuer.public_id),
            }
        ],
    }


def key_jwk(issuer: Issuer, key: IssuerKey) -> dict[str, str]:
    """A key as a bare public JWK whose ``kid`` is its own URL."""
    kid = key_jwk_url(issuer, key)
    if key.algorithm == KeyAlgorithm.P256:
        return p256_public_jwk(p256_public_key_from_multikey(key.public_key_multibase), kid)
    return public_jwk(public_key_from_multikey(key.public_key_multibase), kid)


def jwks(issuer: Issuer) -> dict[str, Any]:
    """Every published key as a JWK set, for VC-JWT verifiers (linked from the controller)."""
    return {"keys": [key_jwk(issuer, key) for key in published_keys(issuer)]}
