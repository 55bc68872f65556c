"""A pylti1p3 tool configuration that reads registrations from the database."""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select

from app.extensions import db
from app.models import Deployment, Registration, RegistrationStatus
from lti import keys


class ToolRegistration(LtiRegistration):
    """A pylti1p3 registration whose signing ``kid`` is the one we publish in our JWKS."""

    def __init__(self, kid: str) -> None:
        super().__init__()
        self._kid = kid

    def get_kid(self) -> str:
        return self._kid


class DatabaseToolConf(ToolConfAbstract):
    """Registrations and deployments from the database; the tool key from :mod:`lti.keys`.

    Every issuer may have several client ids (one per developer key in Canvas), so pylti1p3
    always looks registrations up by (issuer, client_id).
    """

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    @staticmethod
    def registration_row(iss: str, client_id: str | None) -> Registration | None:
        """The active registration for (issuer, client_id); None if unknown or not active."""
        if not client_id:
            return None
        return db.session.scalars(
            select(Registration).where(
                Registration.issuer == iss,
                Registration.client_id == client_id,
                Registration.status == RegistrationStatus.ACTIVE,
            )
        ).first()

    def registration_for(self, row: Registration) -> ToolRegistration:
        """The pylti1p3 registration of a database row (for services outside a launch)."""
        return self._to_lti(row)

    def _to_lti(self, row: Registration) -> ToolRegistration:
        key = keys.active_key()
        reg = ToolRegistration(key.kid)
        reg.set_issuer(row.issuer).set_client_id(row.client_id)
        reg.set_auth_login_url(row.auth_login_url).set_auth_token_url(row.auth_token_url)
        reg.set_auth_audience(row.auth_audience or row.auth_token_url)
        reg.set_key_set_url(row.key_set_url)
        if row.key_set:
            reg.set_key_set(row.key_set)
        reg.set_tool_private_key(keys.private_pem(key))
        return reg

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LtiRegistration:
        raise NotImplementedError("registrations are looked up by issuer and client_id")

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiRegistration | None:
        row = self.registration_row(iss, client_id)
        return self._to_lti(row) if row else None

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        raise NotImplementedError("deployments are looked up with their client_id")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        row = self.deployment_row(iss, deployment_id, client_id)
        return LtiDeployment().set_deployment_id(row.deployment_id) if row else None

    @staticmethod
    def deployment_row(iss: str, deployment_id: str, client_id: str) -> Deployment | None:
        """The active deployment of an active registration, or None."""
        return db.session.scalars(
            select(Deployment)
            .join(Registration)
            .where(
                Registration.issuer == iss,
                Registration.client_id == client_id,
                Registration.status == RegistrationStatus.ACTIVE,
                Deployment.deployment_id == deployment_id,
                Deployment.status == RegistrationStatus.ACTIVE,
            )
        ).first()
