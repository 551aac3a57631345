"""Errors as RFC 9457 application/problem+json: type, title, status, detail, a code, per-field errors."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apiflask.exceptions import HTTPError
from flask import Response, json
from werkzeug.exceptions import HTTPException

from intake.services.agent_actions import ActionError, ActionErrorCode
from intake.services.directory import DirectoryError, DirectoryErrorCode

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:intake-bot:problem:"

ACTION_STATUS = {
    ActionErrorCode.UNKNOWN_TICKET: 404,
    ActionErrorCode.UNKNOWN_AGENT: 403,
    ActionErrorCode.UNKNOWN_CONTACT: 422,
    ActionErrorCode.ILLEGAL_TRANSITION: 409,
    ActionErrorCode.BAD_INPUT: 422,
}
DIRECTORY_STATUS = {
    DirectoryErrorCode.NOT_FOUND: 404,
    DirectoryErrorCode.CONFLICT: 409,
    DirectoryErrorCode.BAD_INPUT: 422,
}


class ApiProblem(Exception):
    """Raised by views to answer with a problem (status, detail and a stable code)."""

    def __init__(self, status: int, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response; `code` also names its type (urn:intake-bot:problem:CODE)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code if code else "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def from_action_error(error: ActionError) -> Response:
    """An agent action's refusal: unknown ticket 404, illegal transition 409, bad input 422."""
    return problem(ACTION_STATUS.get(error.code, 422), error.message, code=str(error.code))


def from_directory_error(error: DirectoryError) -> Response:
    """A directory refusal: not found 404, conflict 409, bad input 422."""
    return problem(DIRECTORY_STATUS.get(error.code, 422), error.message, code=str(error.code))


def from_api_problem(error: ApiProblem) -> Response:
    """A problem a view raised."""
    return problem(error.status, error.detail, code=error.code)


def from_http_error(error: HTTPError) -> Response:
    """apiflask's errors: input validation (422, with per-field errors) and aborts."""
    if error.status_code == 422 and isinstance(error.detail, dict):
        errors = field_errors(error.detail)
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors) or "invalid input"
        return problem(422, detail, code="validation_failed", errors=errors)
    detail = error.message if isinstance(error.message, str) else _title(error.status_code)
    headers = {str(k): str(v) for k, v in dict(error.headers or {}).items()}
    return problem(error.status_code, detail, headers=headers)


def from_http_exception(error: HTTPException) -> Response:
    """Werkzeug's errors (404 route, 405 method, 413 too large...) on an API path."""
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    return problem(status, error.description or _title(status), headers=headers)


def field_errors(detail: dict[str, Any]) -> list[dict[str, str]]:
    """Flatten {location: {field: [messages]}} (nested for nested fields) into a list of field errors."""
    found: list[dict[str, str]] = []
    for location, fields in detail.items():
        for path, message in _flatten(fields, ()):
            field = ".".join(path) or location
            entry = {"location": str(location), "field": field, "detail": message}
            if location == "json":
                entry["pointer"] = "#/" + "/".join(path)
            found.append(entry)
    return found


def _flatten(value: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict):
        return [item for key, inner in value.items() for item in _flatten(inner, (*path, str(key)))]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [(path, " ".join(value))]
    if isinstance(value, list):
        return [item for inner in value for item in _flatten(inner, path)]
    return [(path, str(value))]


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
