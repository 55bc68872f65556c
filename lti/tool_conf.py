"""A pylti1p3 tool configuration that reads registrations from the database."""

from __future__ import annotations

from typing import Any, cast

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.registration import TKeySet
from pylti1p3.tool_config import ToolConfAbstract

from app import registration_cache
from app.models import Registration, ToolKey
from app.registration_cache import DeploymentFacts, RegistrationFacts
from lti import keys


class ToolRegistration(LtiRegistration):
    """A pylti1p3 registration signing with the tool's active key, loaded only when needed.

    Validating a launch never signs anything, so the private key (a database read and a
    decryption) is fetched on the first call that needs it: service tokens, deep links.
    """

    def __init__(self) -> None:
        super().__init__()
        self._key: ToolKey | None = None

    def _signing_key(self) -> ToolKey:
        if self._key is None:
            self._key = keys.active_key()
        return self._key

    def get_kid(self) -> str:
        return self._signing_key().kid

    def get_tool_private_key(self) -> Any:
        # pylti1p3 hands this to PyJWT, which takes a parsed key as well as a PEM: parsed
        # once, the key costs no RSA check per signature.
        return keys.private_key(self._signing_key())


class DatabaseToolConf(ToolConfAbstract):
    """Registrations and deployments from the database; the tool key from :mod:`lti.keys`.

    Every issuer may have several client ids (one per developer key in Canvas), so pylti1p3
    always looks registrations up by (issuer, client_id). The active rows come from the
    worker's snapshot (:mod:`app.registration_cache`), which every committed change renews:
    a launch reads no registration row from the database.
    """

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def registration_row(self, iss: str, client_id: str | None) -> RegistrationFacts | None:
        """The active registration for (issuer, client_id); None if unknown or not active."""
        if not client_id:
            return None
        return registration_cache.snapshot().registration(iss, client_id)

    def registration_for(self, row: Registration | RegistrationFacts) -> ToolRegistration:
        """The pylti1p3 registration of a database row (for services outside a launch)."""
        return self._to_lti(row)

    def _to_lti(self, row: Registration | RegistrationFacts) -> ToolRegistration:
        reg = ToolRegistration()
        reg.set_issuer(row.issuer).set_client_id(row.client_id)
        reg.set_auth_login_url(row.auth_login_url).set_auth_token_url(row.auth_token_url)
        reg.set_auth_audience(row.auth_audience or row.auth_token_url)
        reg.set_key_set_url(row.key_set_url)
        if row.key_set:
            reg.set_key_set(cast(TKeySet, row.key_set))
        return reg

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LtiRegistration:
        raise NotImplementedError("registrations are looked up by issuer and client_id")

    # pylti1p3's launch checks for None (an unknown registration); its abstract type omits it.
    def find_registration_by_params(  # type: ignore[override]
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

    def deployment_row(
        self, iss: str, deployment_id: str, client_id: str
    ) -> DeploymentFacts | None:
        """The active deployment of an active registration, or None."""
        return registration_cache.snapshot().deployment(iss, client_id, deployment_id)
