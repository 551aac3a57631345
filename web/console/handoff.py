"""Hand-offs: a customer who asked for a person, answered from the console."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import login_required

from web.services import services


def register(bp: Blueprint) -> None:
    """Attach the hand-off views."""
    bp.add_url_rule("/handoffs/<int:conversation_id>", "handoff", login_required(handoff))


def handoff(conversation_id: int) -> Any:
    """The customer's chat, with a composer while they wait for a person."""
    view = services().queue.conversation(conversation_id)
    if view is None:
        abort(404)
    return render_template("console/handoff.html", c=view)
