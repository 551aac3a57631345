"""The queue: tabs (views), filters, search, a partial htmx polls to refresh the table."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import login_required

from intake.services.queue import QueueFilters, QueuePage, QueueView
from web.auth import current_agent
from web.services import services

REFRESH_SECONDS = 10  # how often the open queue page refreshes itself (app.config CONSOLE_REFRESH_SECONDS)
VIEW_LABELS = {
    QueueView.MINE: "Mine",
    QueueView.UNASSIGNED: "Unassigned",
    QueueView.OPEN: "All open",
    QueueView.WAITING: "Waiting on customer",
    QueueView.AT_RISK: "At risk",
    QueueView.HANDOFFS: "Hand-offs",
}


def register(bp: Blueprint) -> None:
    """Attach the queue's views."""
    bp.add_url_rule("/", "queue", login_required(queue))
    bp.add_url_rule("/queue/rows", "queue_rows", login_required(queue_rows))


def queue() -> Any:
    """The whole queue page."""
    return render_template("console/queue.html", **_context())


def queue_rows() -> Any:
    """The table alone (what htmx swaps in every few seconds and on each filter change)."""
    return render_template("console/_queue_rows.html", **_context())


def _context() -> dict[str, Any]:
    view = _view(request.args.get("view", ""))
    filters = QueueFilters(
        search=request.args.get("q", "").strip(),
        priority=request.args.get("priority", ""),
        channel=request.args.get("channel", ""),
        ticket_type=request.args.get("type", ""),
        status=request.args.get("status", ""),
    )
    page: QueuePage = services().queue.page(view, current_agent().id, filters)
    return {
        "page": page,
        "view": view,
        "filters": filters,
        "labels": VIEW_LABELS,
        "refresh_seconds": current_app.config.get("CONSOLE_REFRESH_SECONDS", REFRESH_SECONDS),
    }


def _view(raw: str) -> QueueView:
    if not raw:
        return QueueView.OPEN
    try:
        return QueueView(raw)
    except ValueError:
        abort(404)
