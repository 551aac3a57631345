"""Bearer tokens for the API: `Authorization: Bearer ib_…`; roles agent < supervisor < admin."""

from __future__ import annotations

from typing import cast

from apiflask import HTTPTokenAuth
from apiflask.exceptions import HTTPError
from flask import Response, current_app, g

from intake.services.api_tokens import TokenAgent
from web.api.problems import problem

SUPERVISORS = ["supervisor", "admin"]
ADMINS = ["admin"]


def build_auth() -> HTTPTokenAuth:
    """A bearer-token scheme resolving tokens through the ApiTokens use cases (one per app)."""
    auth = HTTPTokenAuth(
        scheme="Bearer",
        security_scheme_name="bearerAuth",
        description="A per-agent API token (intake-bot token create, or the console's API tokens page).",
    )
    auth.verify_token(_verify)
    auth.get_user_roles(_roles)
    auth.error_processor(_refused)
    return auth


def current_token_agent() -> TokenAgent:
    """The agent whose token authenticated this request (views behind auth_required only)."""
    return cast(TokenAgent, g.flask_httpauth_user)


def _verify(token: str) -> TokenAgent | None:
    if not token:
        g.api_auth_failure = "an Authorization: Bearer <token> header is required"
        return None
    found: TokenAgent | None = current_app.extensions["api"].tokens.authenticate(token)
    if found is None:
        g.api_auth_failure = "the token is not valid: unknown, revoked, or its agent is disabled"
    return found


def _roles(user: TokenAgent) -> str:
    return user.role


def _refused(error: HTTPError) -> Response:
    if error.status_code == 401:
        detail = g.get("api_auth_failure", "an Authorization: Bearer <token> header is required")
        return problem(401, detail, code="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="api"'})
    return problem(403, "your role does not allow this", code="forbidden")
