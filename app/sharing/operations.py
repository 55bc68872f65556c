"""Recording shares, downloads and verification views; reading the counts back.

Callable without a request: views pass the User-Agent string and the purpose header.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models.base import utcnow
from app.openbadges import urls
from app.openbadges.models import Assertion
from app.sharing import linkedin
from app.sharing.models import ShareChannel, ShareEvent, ShareSource, VerificationView

log = logging.getLogger(__name__)

# Crawlers, link unfurlers (LinkedIn, Slack, Teams… fetch the page to draw a preview),
# mail-security scanners, command-line clients and headless browsers. Substring match,
# case-insensitive: cheap, and the false negatives are bots that hide, which no list catches.
_BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|facebookexternalhit|facebookcatalog|embedly|"
    r"linkedinbot|twitterbot|slackbot|slack-imgproxy|discordbot|telegrambot|whatsapp|"
    r"skypeuripreview|microsoft office|outlook|teams/|preview|validator|monitor|uptime|"
    r"pingdom|headlesschrome|phantomjs|python-requests|python-urllib|python-httpx|aiohttp|"
    r"curl/|wget/|go-http-client|java/|okhttp|libwww|httpclient|node-fetch|axios/|"
    r"barracuda|proofpoint|mimecast|symantec",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None) -> bool:
    """True for requests that are not a person looking at the page (no User-Agent counts
    as a bot: every real browser sends one)."""
    if not user_agent or not user_agent.strip():
        return True
    return bool(_BOT_PATTERN.search(user_agent))


def is_prefetch(purpose: str | None) -> bool:
    """Browsers announce speculative loads (``Sec-Purpose: prefetch``); nobody saw them."""
    return purpose is not None and "prefetch" in purpose.lower()


def record_view(
    assertion_id: int,
    user_agent: str | None,
    purpose: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Count one view of the verification page unless a bot or a prefetch made it.

    Commits its own row; a failure is logged and swallowed, because a counter must never
    stop an employer from seeing a credential. Returns True when the view was counted.
    """
    if is_bot(user_agent) or is_prefetch(purpose):
        return False
    try:
        db.session.add(VerificationView(assertion_id=assertion_id, created_at=now or utcnow()))
        db.session.commit()
    except Exception:  # the page matters more than the number
        db.session.rollback()
        log.exception("could not count a verification view of assertion %s", assertion_id)
        return False
    return True


def record_share(
    assertion_id: int,
    channel: str,
    source: str = ShareSource.COURSE,
    user_agent: str | None = "",
    now: datetime | None = None,
) -> bool:
    """Count one share or download (bots following an emailed link excluded). Commits."""
    if channel not in ShareChannel.ALL:
        raise ValueError(f"unknown share channel {channel!r}")
    if source not in ShareSource.ALL:
        source = ShareSource.COURSE
    if user_agent is not None and is_bot(user_agent):
        return False
    db.session.add(
        ShareEvent(
            assertion_id=assertion_id, channel=channel, source=source, created_at=now or utcnow()
        )
    )
    db.session.commit()
    return True


@dataclass(frozen=True)
class Counts:
    """How often one award was viewed, shared and downloaded."""

    views: int = 0
    shares: dict[str, int] = field(default_factory=dict)

    @property
    def total_shares(self) -> int:
        return sum(self.shares.values())


def counts_for(assertion_ids: Iterable[int]) -> dict[int, Counts]:
    """Views and shares per channel for each of ``assertion_ids`` (two grouped queries)."""
    ids = list(assertion_ids)
    if not ids:
        return {}
    views = dict(
        db.session.execute(
            select(VerificationView.assertion_id, func.count())
            .where(VerificationView.assertion_id.in_(ids))
            .group_by(VerificationView.assertion_id)
        ).all()
    )
    shares: dict[int, dict[str, int]] = {i: {} for i in ids}
    for assertion_id, channel, count in db.session.execute(
        select(ShareEvent.assertion_id, ShareEvent.channel, func.count())
        .where(ShareEvent.assertion_id.in_(ids))
        .group_by(ShareEvent.assertion_id, ShareEvent.channel)
    ):
        shares[assertion_id][channel] = count
    return {i: Counts(views=views.get(i, 0), shares=shares[i]) for i in ids}


# --- where each channel leads ------------------------------------------------------------------


def verify_url(assertion: Assertion) -> str:
    """The public verification page: the link people share."""
    return urls.public_url(urls.VERIFY_PAGE, assertion.public_id)


def linkedin_profile_url(assertion: Assertion) -> str:
    """LinkedIn's add-certification form for this award."""
    badge = assertion.badge
    return linkedin.add_to_profile_url(
        name=badge.name,
        organization=badge.issuer.name,
        issued_on=assertion.issued_on,
        expires_at=assertion.expires_at if assertion.expires_at else None,
        cert_url=verify_url(assertion),
        cert_id=assertion.public_id,
    )


def destination(assertion: Assertion, channel: str) -> str:
    """Where the counting endpoint sends the browser for ``channel`` (not for JSON, which
    the endpoint serves itself so the browser saves it instead of showing the page)."""
    if channel == ShareChannel.LINKEDIN_PROFILE:
        return linkedin_profile_url(assertion)
    if channel == ShareChannel.LINKEDIN_POST:
        return linkedin.share_post_url(verify_url(assertion))
    if channel == ShareChannel.COPY_LINK:
        return verify_url(assertion)
    if channel in (ShareChannel.DOWNLOAD_PNG, ShareChannel.DOWNLOAD_SVG):
        ext = "png" if channel == ShareChannel.DOWNLOAD_PNG else "svg"
        return urls.public_url(urls.BAKED_OB3, assertion.public_id, ext=ext) + "?download=1"
    raise ValueError(f"channel {channel!r} has no redirect")
