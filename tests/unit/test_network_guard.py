"""The suite's network guard: loopback and Unix sockets pass, anything else is refused before connect."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import pytest
import requests

from tests.support.network_guard import NetworkRefused, is_loopback, refusals_expected


@pytest.mark.parametrize(("host", "port"), [("10.0.0.1", 9), ("8.8.8.8", 53), ("2001:4860:4860::8888", 53)])
def test_a_connection_outside_loopback_is_refused_before_the_kernel_sees_it(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with refusals_expected() as refused, socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkRefused, match=f"connection to {host}:{port}"):
            sock.connect((host, port))
        with pytest.raises(NetworkRefused):
            sock.connect_ex((host, port))
        # A real connect attempt (even one still in progress) binds an ephemeral local port.
        assert sock.getsockname()[1] == 0
    assert len(refused) == 2 and host in refused[0]


def test_udp_datagrams_and_create_connection_are_refused_too() -> None:
    with refusals_expected() as refused, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkRefused, match=r"8\.8\.8\.8:53"):
            sock.sendto(b"\x00", ("8.8.8.8", 53))
        assert sock.getsockname()[1] == 0  # never bound: nothing was sent
        with pytest.raises(NetworkRefused, match=r"10\.0\.0\.1:80"):
            socket.create_connection(("10.0.0.1", 80), timeout=0.1)
    assert len(refused) == 2


def test_dns_lookups_of_non_local_names_are_refused() -> None:
    with refusals_expected() as refused:
        with pytest.raises(NetworkRefused, match=r"DNS lookup of 'api\.twilio\.com'"):
            socket.getaddrinfo("api.twilio.com", 443)
        with pytest.raises(NetworkRefused, match=r"DNS lookup of 'example\.com'"):
            socket.gethostbyname("example.com")
        with pytest.raises(NetworkRefused, match=r"reverse DNS lookup of '8\.8\.8\.8'"):
            socket.gethostbyaddr("8.8.8.8")
        # Through a client library: wrapped as its connection error, the address still named.
        with pytest.raises(requests.ConnectionError, match=r"DNS lookup of 'api\.telegram\.org'"):
            requests.get("https://api.telegram.org/", timeout=1)
    assert len(refused) == 4


def test_a_swallowed_refusal_is_still_recorded() -> None:
    # contextlib.suppress(Exception) stands for a worker's catch-all.
    with refusals_expected() as refused, contextlib.suppress(Exception):
        socket.create_connection(("192.168.1.10", 25), timeout=0.1)
    assert refused == [
        "network access refused in tests: connection to 192.168.1.10:25 "
        "(only loopback and Unix sockets are allowed)"
    ]


def test_loopback_connections_and_local_names_are_allowed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]))
        thread.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            thread.join(timeout=5)
            accepted[0].sendall(b"hi")
            assert client.recv(2) == b"hi"
            accepted[0].close()
    assert socket.getaddrinfo("localhost", 80)
    assert socket.gethostbyaddr("127.0.0.1")
    assert socket.getaddrinfo("10.0.0.1", 80)  # an IP literal needs no DNS; connecting to it is refused


def test_unix_sockets_are_allowed(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(path)
        server.listen()
        client.connect(path)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
     ("10.0.0.1", False), ("0.0.0.0", False), ("::", False), ("localhost", False)],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
