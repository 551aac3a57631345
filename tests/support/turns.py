"""What the worker does after a webhook accepted messages, for tests that post webhooks one by one."""

from __future__ import annotations

from intake.bootstrap import Container


def run_turns(container: Container) -> int:
    """Run the dialog turns of every accepted message now, in order (INBOUND_MODE=queue); return how many."""
    return container.inbox.run_once() if container.inbox is not None else 0
