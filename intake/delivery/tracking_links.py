"""Tracking links: a random token per ticket and contact, stored hashed, revocable, quoted in notifications.

The token is `secrets.token_urlsafe(24)` (192 bits). The database keeps its SHA-256, which is how a visit
finds the link, and the token sealed with a key derived from the app's SECRET_KEY (XOR with an HMAC of the
link's id), so later notifications can quote the same link; a copy of the database alone opens nothing.
Revoking a ticket's links marks them revoked; the next notification issues a fresh one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import Ticket, TrackingLink

TOKEN_BYTES = 24  # 192 bits, what secrets.token_urlsafe(24) draws
SESSION_KEY = "tracking"  # where the link keys sit in each session's `info`
LINE = {"es": "Seguimiento: {url}", "en": "Tracking: {url}", "pt": "Acompanhamento: {url}"}


@dataclass(frozen=True, slots=True)
class LinkKeys:
    """What building a tracking URL needs: the secret that seals tokens and the public base URL."""

    secret_key: str
    public_base_url: str | None
    # SMTP is configured: a web form's customer (no chat to push to) gets notifications by e-mail
    email_copies: bool = False

    def url(self, number: str, token: str) -> str | None:
        """The tracking page's absolute URL, or None without a public base URL."""
        if not self.public_base_url:
            return None
        return f"{self.public_base_url.rstrip('/')}/t/{number}?k={token}"


def configure_links(session_factory: sessionmaker[Session], keys: LinkKeys) -> None:
    """Give every session of this factory the link keys (the composition root calls this once)."""
    session_factory.configure(info={SESSION_KEY: keys})


def link_keys(session: Session) -> LinkKeys | None:
    """The link keys of this session's factory, if configured."""
    keys = session.info.get(SESSION_KEY)
    return keys if isinstance(keys, LinkKeys) else None


def token_hash(token: str) -> str:
    """The SHA-256 (hex) a token is stored and looked up as."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _pad(secret_key: str, link_id: int) -> bytes:
    return hmac.new(secret_key.encode(), f"tracking-link:{link_id}".encode(), hashlib.sha256).digest()


def _seal(raw: bytes, secret_key: str, link_id: int) -> str:
    mixed = bytes(a ^ b for a, b in zip(raw, _pad(secret_key, link_id), strict=False))
    return base64.urlsafe_b64encode(mixed).decode("ascii")


def _unseal(sealed: str, secret_key: str, link_id: int) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    token_raw = bytes(a ^ b for a, b in zip(raw, _pad(secret_key, link_id), strict=False))
    return base64.urlsafe_b64encode(token_raw).decode("ascii").rstrip("=")


def issue_link(session: Session, ticket: Ticket, secret_key: str, *, now: datetime) -> str:
    """A new link for the ticket and its contact; returns the token (the only time it is in the clear)."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    token = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    link = TrackingLink(
        ticket_id=ticket.id,
        contact_id=ticket.contact_id,
        token_hash=token_hash(token),
        sealed_token="",
        created_at=now,
    )
    session.add(link)
    session.flush()
    link.sealed_token = _seal(raw, secret_key, link.id)
    return token


def active_link(session: Session, ticket: Ticket) -> TrackingLink | None:
    """The ticket's current (unrevoked) link for its contact, if any."""
    query = (
        select(TrackingLink)
        .where(TrackingLink.ticket_id == ticket.id, TrackingLink.revoked_at.is_(None))
        .order_by(TrackingLink.id.desc())
        .limit(1)
    )
    if ticket.contact_id is not None:
        query = query.where(TrackingLink.contact_id == ticket.contact_id)
    return session.scalar(query)


def current_token(session: Session, ticket: Ticket, secret_key: str, *, now: datetime) -> str:
    """The token of the ticket's active link, issuing one when there is none."""
    link = active_link(session, ticket)
    if link is None:
        return issue_link(session, ticket, secret_key, now=now)
    return _unseal(link.sealed_token, secret_key, link.id)


def tracking_url(session: Session, ticket: Ticket, *, now: datetime) -> str | None:
    """The ticket's tracking URL for notifications (None when PUBLIC_BASE_URL is not set)."""
    keys = link_keys(session)
    if keys is None or not keys.public_base_url or not ticket.number:
        return None
    return keys.url(ticket.number, current_token(session, ticket, keys.secret_key, now=now))


def tracking_line(session: Session, ticket: Ticket, language: str, *, now: datetime) -> str | None:
    """The one line a customer notification ends with ("Seguimiento: <url>"), if links are public."""
    url = tracking_url(session, ticket, now=now)
    if url is None:
        return None
    return LINE.get(language, LINE["es"]).format(url=url)


def ticket_for_token(session: Session, number: str, token: str) -> Ticket | None:
    """The ticket a (number, token) pair opens: the token's hash must match an unrevoked link of it."""
    if not token or len(token) > 100:
        return None
    query = select(TrackingLink).where(
        TrackingLink.token_hash == token_hash(token), TrackingLink.revoked_at.is_(None)
    )
    link = session.scalar(query)
    if link is None:
        return None
    ticket = session.get(Ticket, link.ticket_id)
    if ticket is None or not hmac.compare_digest((ticket.number or "").encode(), number.encode()):
        return None
    return ticket


def revoke_links(session: Session, ticket: Ticket, *, now: datetime) -> int:
    """Revoke every active link of the ticket; how many were revoked."""
    links = session.scalars(
        select(TrackingLink).where(TrackingLink.ticket_id == ticket.id, TrackingLink.revoked_at.is_(None))
    )
    count = 0
    for link in links:
        link.revoked_at = now
        count += 1
    return count

