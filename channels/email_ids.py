"""Our own e-mail Message-IDs, signed: `<t{ticket}.{nonce}.{mac}@domain>` with an HMAC of ticket and nonce.

A reply's `In-Reply-To`/`References` carrying one of these proves it answers a message we sent about that
ticket; anything else claiming our format is ignored (the ticket number is not guessable into a thread).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_MAC_CHARS = 24
_OURS = re.compile(r"^<t(\d{1,18})\.([0-9a-f]{16})\.([0-9a-f]{24})@[^<>\s]+>$")


def _mac(key: str, ticket_id: int, nonce: str) -> str:
    digest = hmac.new(key.encode(), f"email-message-id:{ticket_id}.{nonce}".encode(), hashlib.sha256)
    return digest.hexdigest()[:_MAC_CHARS]


def signed_message_id(key: str, ticket_id: int, domain: str, nonce: str | None = None) -> str:
    """A new Message-ID for a ticket's e-mail, signed with `key` (the app's SECRET_KEY)."""
    nonce = nonce or secrets.token_hex(8)
    return f"<t{ticket_id}.{nonce}.{_mac(key, ticket_id, nonce)}@{domain}>"


def verified_ticket_id(key: str, message_id: str) -> int | None:
    """The ticket id inside one of our signed Message-IDs, or None (not ours, or the signature fails)."""
    found = _OURS.match(message_id.strip())
    if found is None:
        return None
    ticket_id, nonce, mac = int(found.group(1)), found.group(2), found.group(3)
    return ticket_id if hmac.compare_digest(mac, _mac(key, ticket_id, nonce)) else None
