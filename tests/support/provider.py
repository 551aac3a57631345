"""A fake Twilio answering after a configurable latency, recording what it accepted (tests, benches)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.twilio_fake import FakeTwilio


class SlowTwilio(FakeTwilio):
    """Answers every Messages.create after `latency` seconds (like the real API) and logs each delivery."""

    def __init__(self, server: HTTPServer, latency: float = 0.0) -> None:
        super().__init__(server)
        self.latency = latency
        self.lock = threading.Lock()
        self.delivered: list[tuple[str, str, float]] = []  # (To, Body, time.monotonic()) per 201 answer
        self.started = 0  # creates received, answered or not
        self.sids_to: list[tuple[str, str]] = []  # (To, sid) per 201 answer, in answer order

    def _create(self, request: Request) -> Response:
        with self.lock:
            self.started += 1
        if self.latency:
            time.sleep(self.latency)
        with self.lock:  # FakeTwilio numbers its sids by count: one create at a time
            answer = super()._create(request)
            if answer.status_code == 201:
                self.delivered.append((request.form["To"], request.form["Body"], time.monotonic()))
                self.sids_to.append((request.form["To"], self.sids[-1]))
            return answer

    def bodies_by_chat(self) -> dict[str, list[str]]:
        """The bodies each recipient received, in the order they were accepted."""
        chats: dict[str, list[str]] = defaultdict(list)
        with self.lock:
            for to, body, _ in self.delivered:
                chats[to].append(body)
        return dict(chats)

    def count(self) -> int:
        """How many messages were accepted so far."""
        with self.lock:
            return len(self.delivered)


def threaded_server() -> HTTPServer:
    """A started pytest-httpserver on loopback that answers requests concurrently."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server

