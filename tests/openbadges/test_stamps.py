"""Credentials signed from a batch's stamp are byte for byte the ones built as dicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.openbadges import documents, operations, stamps
from app.openbadges.keys import private_from_seed
from app.openbadges.signing import make_jwt_signer, make_signing_key, signed_credentials

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
# Ed25519 for both formats: deterministic signatures, so the outputs compare as text.
KEY = make_signing_key(private_from_seed(bytes(range(32))), "https://issuer.example/keys/1")
JWT = make_jwt_signer(private_from_seed(bytes(range(1, 33))), "https://issuer.example/keys/1/jwk")

# Text that JSON or N-Quads escape, slot look-alikes, and anything else.
tricky = st.sampled_from(['a "quoted"\nline', "back\\slash\ttab", "\ue0000\ue001", "Élan 🎉", "x"])
text = st.one_of(tricky, st.text(st.characters(exclude_categories=("Cs",)), min_size=1))
url = st.one_of(
    st.just("https://example.org/work"),
    st.just("https://example.org/a b"),  # no safe IRI: that credential goes through pyld
    st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9]{0,8}", fullmatch=True),
)
evidence = st.lists(
    st.fixed_dictionaries({"narrative": text}, optional={"url": url, "name": text}),
    max_size=2,
)
score = st.fixed_dictionaries(
    {
        "criterion": st.one_of(st.just("/all/0"), st.integers(0, 9), text),
        "name": st.one_of(text, st.integers(0, 9)),  # a name that is no string: signed whole
        "percent": st.one_of(st.floats(0, 100), st.integers(0, 100), st.just(85.0)),
    }
)
award = st.builds(
    lambda email, name, items, days, scores: operations.Award(
        operations.Recipient(email=email, name=name, lti_user_id=None if email else 7),
        evidence=items,
        expires_at=NOW + timedelta(days=days) if days else None,
        results=scores,
    ),
    st.one_of(st.none(), st.just("ada@example.org"), st.just("Bob@Example.org ")),
    text,
    evidence,
    st.sampled_from([0, 0, 3650]),
    st.lists(score, max_size=2),
)


def _stamped_and_dict_built(badge, awards, results: bool) -> tuple[dict, list, list]:
    """Prepare ``awards`` as ``issue_many`` does; returns the batch's stamps (None: refused),
    the stamped items and the same credentials built as dicts."""
    status_list, indexes = operations._allocate(badge.issuer, len(awards), NOW)
    achievement = documents.ob3_achievement(badge)
    batch = operations._Batch(badge, status_list, achievement, NOW)
    items = [
        operations._prepare(
            batch,
            a,
            a.recipient.key,
            operations.expiry_for(badge, NOW, a.expires_at),
            i,
            identities,
        )
        for a, i, identities in zip(
            awards, indexes, operations.random_identities(len(awards)), strict=True
        )
    ]
    credentials = [
        documents.ob3_credential(row, achievement, status_list, a.results if results else ())
        for row, a in zip(batch.rows, awards, strict=True)
    ]
    return batch.stamps, items, credentials


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(awards=st.lists(award, min_size=1, max_size=4), scores_shown=st.booleans())
def test_stamped_credentials_are_the_dict_built_ones(badge, awards, scores_shown):
    badge.evidence_shows_scores = scores_shown
    _stamps, items, credentials = _stamped_and_dict_built(badge, awards, scores_shown)
    assert stamps.sign(items, KEY, JWT, NOW) == signed_credentials(credentials, KEY, JWT, NOW)


def test_a_badge_text_holding_a_slot_look_alike_is_signed_whole(badge):
    badge.name = "Badge \ue0001\ue001"
    awards = [operations.Award(operations.Recipient(email=f"l{i}@example.org")) for i in range(2)]
    batch_stamps, items, credentials = _stamped_and_dict_built(badge, awards, False)
    assert list(batch_stamps.values()) == [None]  # the check refused the stamp
    assert stamps.sign(items, KEY, JWT, NOW) == signed_credentials(credentials, KEY, JWT, NOW)


def test_scored_credentials_share_a_stamp(badge):
    badge.evidence_shows_scores = True
    awards = [
        operations.Award(
            operations.Recipient(email=f"l{i}@example.org"),
            results=[{"criterion": "/all/0", "name": f"Quiz {i}", "percent": 80.0 + i}],
        )
        for i in range(3)
    ]
    batch_stamps, items, credentials = _stamped_and_dict_built(badge, awards, True)
    assert len(batch_stamps) == 1 and None not in batch_stamps.values()
    assert stamps.sign(items, KEY, JWT, NOW) == signed_credentials(credentials, KEY, JWT, NOW)
