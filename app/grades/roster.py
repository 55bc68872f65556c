"""The course's roster: NRPS members mirrored as people and memberships, and our user ids
for platform ``sub``s, in bulk statements that write only what changed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from app.course.operations import is_staff_role
from app.database import CHUNK, among, dialect_insert, table_of, upsert
from app.extensions import db
from app.models import Context, LtiUser, Membership
from app.models.base import new_public_id, utcnow


@dataclass(frozen=True, slots=True)
class Member:
    """One person of an NRPS roster."""

    sub: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str | None = None
    roles: tuple[str, ...] = ()
    active: bool = True

    @classmethod
    def from_nrps(cls, member: dict[str, Any]) -> Member:
        return cls(
            sub=str(member["user_id"]),
            name=member.get("name") or "",
            given_name=member.get("given_name") or "",
            family_name=member.get("family_name") or "",
            email=member.get("email") or None,
            roles=tuple(member.get("roles") or ()),
            active=(member.get("status") or "Active") == "Active",
        )


def user_ids_by_sub(
    issuer: str, subs: Iterable[str], people: Mapping[str, Member] | None = None
) -> dict[str, int]:
    """Our user ids for platform ``sub``s, creating users for unknown ones: bare, or with
    their names and email when ``people`` has them (as roster members)."""
    wanted = sorted(set(subs))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        found.update(
            db.session.execute(
                select(LtiUser.sub, LtiUser.id).where(
                    LtiUser.issuer == issuer, among(LtiUser.sub, part)
                )
            ).all()
        )
    missing = [s for s in wanted if s not in found]
    if missing:
        now = utcnow()
        # The insert hands back the new ids itself (RETURNING): looking them up again right
        # after a large first roster cost PostgreSQL 150 ms a chunk, its plan made while
        # the table was still empty (the sub list a filter, not an index condition).
        stmt = (
            dialect_insert(table_of(LtiUser))
            .on_conflict_do_nothing(index_elements=["issuer", "sub"])
            .returning(LtiUser.sub, LtiUser.id)
        )
        for start in range(0, len(missing), CHUNK):
            rows = [
                {
                    "issuer": issuer,
                    "sub": s,
                    "public_id": new_public_id(),
                    **(_person(people[s], _BARE) if people and s in people else _BARE),
                    "created_at": now,
                    "updated_at": now,
                }
                for s in missing[start : start + CHUNK]
            ]
            found.update((sub, id_) for sub, id_ in db.session.execute(stmt, rows))
        # A concurrent writer inserted these first (no row returned): read theirs.
        raced = [s for s in missing if s not in found]
        for start in range(0, len(raced), CHUNK):
            found.update(
                db.session.execute(
                    select(LtiUser.sub, LtiUser.id).where(
                        LtiUser.issuer == issuer, among(LtiUser.sub, raced[start : start + CHUNK])
                    )
                ).all()
            )
    return found


def upsert_roster(context: Context, issuer: str, members: Sequence[Member]) -> dict[str, int]:
    """Mirror an NRPS roster: people (names and emails never erased by empty values) and
    memberships; people no longer listed become inactive and keep their badges; someone a
    launch showed as staff in the course stays staff (the next launch decides).
    Returns sub -> user id. Writes only what changed, in bulk statements (a roster is read
    on every sync, so unchanged people cost one read each)."""
    # New people are created with their names and emails: not bare and then updated (a
    # large first roster: 10,000 UPDATEs).
    ids = user_ids_by_sub(issuer, (m.sub for m in members), {m.sub: m for m in members})
    by_id = {ids[m.sub]: m for m in members}
    people = table_of(LtiUser)
    changed_people = []
    for row in _rows(people, ("id", "name", "given_name", "family_name", "email"), list(by_id)):
        member, held = by_id[row[0]], dict(zip(_PERSON, row[1:], strict=True))
        wanted = _person(member, held)
        if wanted != held:
            changed_people.append({"b_id": row[0], **wanted})
    now = utcnow()
    _update_by_id(people, changed_people, _PERSON, now)
    memberships = {
        row.user_id: row
        for row in db.session.execute(
            select(
                Membership.id,
                Membership.user_id,
                Membership.roles,
                Membership.is_staff,
                Membership.active,
                Membership.launch_staff,
            ).where(Membership.context_id == context.id)
        )
    }
    new_rows, changed_memberships = [], []
    for user_id, member in by_id.items():
        roles, staff = list(member.roles), is_staff_role(list(member.roles))
        membership = memberships.get(user_id)
        if membership is None:
            new_rows.append(
                {
                    "context_id": context.id,
                    "user_id": user_id,
                    "roles": roles,
                    "is_staff": staff,
                    "active": member.active,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        if membership.launch_staff:
            # Staff status is the launch's word: Moodle's NRPS calls a non-editing teacher a
            # Learner while its launch calls them an Instructor. Their launch roles stay too.
            staff, roles = True, list(membership.roles or [])
        if (
            membership.is_staff != staff
            or membership.active != member.active
            or sorted(membership.roles or []) != sorted(roles)
        ):
            changed_memberships.append(
                {"b_id": membership.id, "is_staff": staff, "active": member.active, "roles": roles}
            )
    _update_by_id(table_of(Membership), changed_memberships, ("is_staff", "active", "roles"), now)
    upsert(Membership, new_rows, keys=("context_id", "user_id"))
    gone = [uid for uid, m in memberships.items() if uid not in by_id and m.active]
    for start in range(0, len(gone), CHUNK):
        db.session.execute(
            update(Membership)
            .where(
                Membership.context_id == context.id,
                Membership.user_id.in_(gone[start : start + CHUNK]),
            )
            .values(active=False, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


_PERSON = ("name", "given_name", "family_name", "email")
_BARE: dict[str, Any] = {"name": "", "given_name": "", "family_name": "", "email": None}


def _person(member: Member, held: dict[str, Any]) -> dict[str, Any]:
    """A person's fields once ``member`` is mirrored onto what we ``held``: empty values
    never erase ours; a missing name is made of the given and family names."""
    wanted = {attr: getattr(member, attr) or held[attr] for attr in _PERSON}
    if not wanted["name"] and (member.given_name or member.family_name):
        wanted["name"] = f"{member.given_name} {member.family_name}".strip()
    return wanted


def _rows(table: Any, names: Sequence[str], ids: Sequence[int]) -> Iterator[Any]:
    for start in range(0, len(ids), CHUNK):
        yield from db.session.execute(
            select(*(table.c[n] for n in names)).where(
                among(table.c.id, ids[start : start + CHUNK])
            )
        )


def _update_by_id(
    table: Any, rows: list[dict[str, Any]], names: Sequence[str], now: datetime
) -> None:
    """One executemany UPDATE of ``names`` (and ``updated_at``) for rows keyed ``b_id``."""
    if not rows:
        return
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({**{n: bindparam(n) for n in names}, "updated_at": now})
    )
    for start in range(0, len(rows), CHUNK):
        db.session.execute(stmt, rows[start : start + CHUNK])
