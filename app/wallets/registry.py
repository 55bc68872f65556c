"""Which kinds of credential can be added to a wallet, and how each is bound to a holder.

The award badge is the kind ``"badge"`` (:mod:`app.wallets.badge`); another kind (a CLR 2.0
``ClrCredential``) registers itself the same way and is offered by the same pages, OID4VCI
metadata and VC-API exchange::

    register_offerable("clr", build_bound_clr, find=find_clr, credential_type="ClrCredential",
                       context=CLR_CONTEXT)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Source:
    """What an offer needs to know about the credential it offers."""

    title: str
    lti_user_id: int | None  # whose it is: only they may offer it
    registration_id: int | None  # the LMS it belongs to (tenancy)
    issuer_name: str
    available: bool  # False once revoked: nothing more is bound


@dataclass(frozen=True)
class Bound:
    """A bound copy, signed in both forms."""

    credential: dict[str, Any]  # ldp_vc: Data Integrity proof
    credential_jwt: str  # jwt_vc_json: VC-JWT


#: build(source_id, holder DID, the new credential's id) -> the signed bound copy
Build = Callable[[str, str, str], Bound]
Find = Callable[[str], Source | None]


@dataclass(frozen=True)
class Offerable:
    """A registered kind: how to find one and how to bind it."""

    kind: str
    build: Build
    find: Find
    credential_type: str
    context: tuple[str, ...]

    def configuration_id(self, fmt: str) -> str:
        """The OID4VCI credential configuration id of this kind in ``fmt``."""
        return f"{self.credential_type}_{fmt}"


_registry: dict[str, Offerable] = {}


def register_offerable(
    kind: str, build: Build, *, find: Find, credential_type: str, context: Sequence[str]
) -> None:
    """Make ``kind`` offerable to wallets (registering a kind again replaces it)."""
    _registry[kind] = Offerable(kind, build, find, credential_type, tuple(context))


def offerable(kind: str) -> Offerable | None:
    """The registered kind ``kind``, if any."""
    return _registry.get(kind)


def all_offerables() -> list[Offerable]:
    """Every registered kind, in registration order."""
    return list(_registry.values())
