"""The OpenAPI document at /api/v1/openapi.json and a readable page at /api/v1/docs (no script, no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apiflask import APIBlueprint
from flask import Response, json, render_template_string

from web.api.problems import PROBLEM_JSON
from web.api.services import api_services

TAG = "Documents"


def register(bp: APIBlueprint) -> None:
    """Attach the document and its page (both public: they describe, they reveal no data)."""

    @bp.get("/openapi.json")
    @bp.doc(tags=[TAG], hide=True)
    def openapi_document() -> Response:
        """The OpenAPI 3.1 document of this API"""
        return Response(json.dumps(document()), mimetype="application/json")

    @bp.get("/docs")
    @bp.doc(tags=[TAG], hide=True)
    def docs_page() -> str:
        """The API's reference, readable in a browser"""
        return render_template_string(PAGE, spec=document(), methods=METHODS)


def document() -> dict[str, Any]:
    """The OpenAPI document, generated from the views and schemas (cached after the first call)."""
    spec = api_services().spec_app._get_spec("json")  # apiflask's cached document
    assert isinstance(spec, dict)
    return spec


def as_problem_json(spec: dict[str, Any] | str) -> dict[str, Any] | str:
    """Error responses (4xx, 5xx) are application/problem+json, as the API sends them."""
    if isinstance(spec, str):
        return spec
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(status)[0] in "45" and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")
    return spec


METHODS = ("get", "post", "put", "patch", "delete")
PAGE = (Path(__file__).parent / "docs.html").read_text(encoding="utf-8")
