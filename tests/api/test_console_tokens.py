"""The console's API tokens page: create (shown once), list, revoke one's own; CSRF like every form."""

from __future__ import annotations

import re

from tests.api.conftest import ANA, CARLOS, Console, tokens
from tests.web.conftest import csrf_token, signed_in

SECRET = re.compile(r"<code>(ib_[A-Za-z0-9_-]+)</code>")


def test_an_agent_creates_a_token_sees_it_once_and_it_works(api_desk: Console) -> None:
    client = signed_in(api_desk)
    page = client.post(
        "/console/tokens", data={"name": "Odoo sync", "csrf_token": csrf_token(client, "/console/tokens")}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(html)
    assert secret, html
    assert "Odoo sync" in html and "Tokens de API" in html
    api = api_desk.app.test_client()
    assert (
        api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {secret.group(1)}"}).status_code == 200
    )
    again = client.get("/console/tokens").get_data(as_text=True)
    assert secret.group(1) not in again and secret.group(1)[:9] in again  # only the prefix, from now on


def test_revoking_from_the_console_and_only_one_s_own(api_desk: Console) -> None:
    own = tokens(api_desk).create(ANA, "mine")
    other = tokens(api_desk).create(CARLOS, "not mine")
    client = signed_in(api_desk)
    page = client.get("/console/tokens").get_data(as_text=True)
    assert "mine" in page and "not mine" not in page
    token = csrf_token(client, "/console/tokens")
    client.post(f"/console/tokens/{other.info.id}/revoke", data={"csrf_token": token})
    assert tokens(api_desk).authenticate(other.secret) is not None
    client.post(f"/console/tokens/{own.info.id}/revoke", data={"csrf_token": token})
    assert tokens(api_desk).authenticate(own.secret) is None
    assert "revocado" in client.get("/console/tokens").get_data(as_text=True)
    audit = [(e.actor, e.action, e.target) for e in api_desk.accounts.audit_log()]
    assert (ANA, "token.revoke", ANA) in audit and (ANA, "token.revoke", CARLOS) not in audit
    assert ("cli", "token.create", CARLOS) in audit


def test_creating_a_token_needs_the_csrf_token_and_a_session(api_desk: Console) -> None:
    client = signed_in(api_desk)
    assert client.post("/console/tokens", data={"name": "x"}).status_code == 400
    assert tokens(api_desk).list(ANA) == []
    anonymous = api_desk.app.test_client().get("/console/tokens")
    assert anonymous.status_code == 302 and "/console/sign-in" in anonymous.headers["Location"]
