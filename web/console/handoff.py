"""Hand-offs: a customer who asked for a person, answered from the console (intake's Handoffs use cases)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from intake.services.agent_actions import ActionError
from web.auth import current_agent
from web.services import services


def register(bp: Blueprint) -> None:
    """Attach the hand-off views."""
    bp.add_url_rule("/handoffs/<int:conversation_id>", "handoff", login_required(handoff))
    bp.add_url_rule(
        "/handoffs/<int:conversation_id>/reply", "handoff_reply", login_required(reply), methods=["POST"]
    )
    bp.add_url_rule(
        "/handoffs/<int:conversation_id>/end", "handoff_end", login_required(end), methods=["POST"]
    )


def handoff(conversation_id: int) -> Any:
    """The customer's chat, with a composer while they wait for a person."""
    view = services().queue.conversation(conversation_id)
    if view is None:
        abort(404)
    return render_template("console/handoff.html", c=view)


def reply(conversation_id: int) -> Any:
    """Answer the customer in their chat, as the signed-in agent."""
    try:
        services().container.handoffs.reply(conversation_id, current_agent().id, request.form.get("text", ""))
    except ActionError as exc:
        flash(exc.message, "error")
    else:
        flash("Reply queued to the customer's chat.", "success")
    return redirect(url_for("console.handoff", conversation_id=conversation_id))


def end(conversation_id: int) -> Any:
    """End the hand-off: the customer is back with the bot (and told so)."""
    try:
        services().container.handoffs.end(conversation_id, current_agent().id)
    except ActionError as exc:
        flash(exc.message, "error")
        return redirect(url_for("console.handoff", conversation_id=conversation_id))
    flash("Hand-off ended; the customer is back with the bot.", "success")
    return redirect(url_for("console.queue", view="handoffs"))
