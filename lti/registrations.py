"""What the launch path asks of registrations: the hosts a platform is known by, and whether
a launch's first deployment may be adopted.

Saving and changing registrations (audited) is the application's: :mod:`app.registrations`.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Deployment, Registration, RegistrationSource, RegistrationStatus
from app.registration_cache import RegistrationFacts

log = logging.getLogger(__name__)


def platform_hosts(registration: Registration | RegistrationFacts) -> set[str]:
    """The hosts a registration knows its platform by: its issuer, its login, token and key set
    URLs, and the configuration URL dynamic registration started from (Canvas cloud: the
    school's own domain, while the issuer is canvas.instructure.com)."""
    source = db.session.scalars(
        select(RegistrationSource).filter_by(registration_id=registration.id)
    ).first()
    urls = (
        registration.issuer,
        registration.auth_login_url,
        registration.auth_token_url,
        registration.key_set_url,
        source.openid_configuration_url if source else None,
    )
    return {host for url in urls if url and (host := urlsplit(url).hostname)}


def adopt_deployment(issuer: str, client_id: str, deployment_id: str) -> bool:
    """Accept a launch's unknown deployment when its registration allows it; True if usable.

    For the launch path: call it when a launch's deployment is not found. It adds the
    deployment (active) only for an *active* registration whose platform did not name its
    deployment at registration (Canvas dynamic registration); then validate again. It returns
    True when the deployment exists and is active afterwards, False otherwise (unknown or
    non-active registration, a registration that does not adopt, a disabled deployment).
    """
    if not (issuer and client_id and deployment_id):
        return False
    registration = db.session.scalars(
        select(Registration).filter_by(
            issuer=issuer, client_id=client_id, status=RegistrationStatus.ACTIVE
        )
    ).first()
    if registration is None:
        return False
    known = db.session.scalars(
        select(Deployment).filter_by(registration_id=registration.id, deployment_id=deployment_id)
    ).first()
    if known is not None:
        return known.is_active
    source = db.session.scalars(
        select(RegistrationSource).filter_by(registration_id=registration.id)
    ).first()
    if source is None or not source.adopt_deployments:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                Deployment(
                    registration_id=registration.id,
                    deployment_id=deployment_id,
                    status=RegistrationStatus.ACTIVE,
                )
            )
    except IntegrityError:
        # A concurrent launch adopted it first; theirs is as good as ours.
        pass
    db.session.commit()
    log.info(
        "adopted deployment %s of registration %s (%s)", deployment_id, registration.id, issuer
    )
    return True
