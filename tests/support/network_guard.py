"""Keeps the test suite off the network: only loopback and Unix sockets, only local names.

`install()` wraps, in this process, every way a client library opens a connection or looks up a
name: `socket.socket.connect` / `connect_ex` / `sendto` (so `socket.create_connection`, requests,
urllib3, httpx/anyio, asyncio, smtplib and psycopg's Python-side connects are covered), and
`socket.getaddrinfo`, `gethostbyname`, `gethostbyname_ex` and `gethostbyaddr`. A connection to any
address outside 127.0.0.0/8 and ::1 (IPv4-mapped loopback included), a lookup of a name other than
`localhost` or the machine's own name, or a reverse lookup of a non-loopback address raises
`NetworkRefused` (an OSError naming the address) BEFORE the real call: no packet and no DNS query
leaves. Unix sockets and lookups of IP literals (which never query DNS) pass.

Every refusal is also recorded, because client code may catch the error and carry on (a worker's
`except Exception`, an adapter turning it into a TransientSendError): the autouse fixture in
tests/conftest.py fails the test that caused one, naming the address, even when it was swallowed.

Out of reach: subprocesses (the `intake-bot serve` e2e test) and C libraries that open their own
sockets (libpq when psycopg connects in C, e.g. to TEST_DATABASE_URL): they run outside these
Python wrappers. Keep their targets local by configuration.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})
# The machine's own name is local too: smtplib looks it up for its EHLO greeting.
_OWN_NAMES = frozenset({socket.gethostname().lower()})


class NetworkRefused(OSError):
    """A test tried to reach a non-loopback address or to resolve a non-local name.

    An OSError, so client code cleans up as after any failed connect (closing its socket); that it
    may also swallow the error is why every refusal is recorded as well.
    """


_refusals: list[str] = []
_lock = threading.Lock()
_originals: dict[str, Any] = {}


def is_loopback(host: str) -> bool:
    """True for an IP literal in 127.0.0.0/8 or ::1 (also written as IPv4-mapped IPv6)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _refuse(what: str) -> NetworkRefused:
    """Record a refusal and build the error to raise."""
    message = f"network access refused in tests: {what} (only loopback and Unix sockets are allowed)"
    with _lock:
        _refusals.append(message)
    return NetworkRefused(message)


def _check_name(host: object) -> None:
    """Let local names and IP literals through; refuse a lookup that would ask DNS."""
    if host is None:
        return
    name = host.decode("idna") if isinstance(host, bytes) else str(host)
    if name.lower() in LOCAL_NAMES | _OWN_NAMES or _is_ip_literal(name):
        return
    raise _refuse(f"DNS lookup of {name!r}")


def _check_reverse(host: object) -> None:
    """A reverse lookup asks DNS even for an IP literal: only loopback and local names pass."""
    name = host.decode("idna") if isinstance(host, bytes) else str(host)
    if is_loopback(name):
        return
    if _is_ip_literal(name):
        raise _refuse(f"reverse DNS lookup of {name!r}")
    _check_name(name)


def _check_address(family: int, address: object) -> None:
    """Let Unix sockets and loopback through; refuse anything else before it is contacted."""
    if family == getattr(socket, "AF_UNIX", None):
        return
    if not isinstance(address, tuple) or not address:
        raise _refuse(f"connection to {address!r}")
    host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    if is_loopback(host):
        return
    if host.lower() in LOCAL_NAMES:  # connect(("localhost", port)) resolves through /etc/hosts
        return
    raise _refuse(f"connection to {host}:{address[1] if len(address) > 1 else '?'}")


def _guard_connect(original: Callable[..., Any]) -> Callable[..., Any]:
    def connect(self: socket.socket, address: Any) -> Any:
        _check_address(self.family, address)
        return original(self, address)

    return connect


def _guard_sendto(original: Callable[..., Any]) -> Callable[..., Any]:
    def sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        _check_address(self.family, args[-1])  # sendto(data, address) or sendto(data, flags, address)
        return original(self, data, *args)

    return sendto


def _guard_lookup(check: Callable[[object], None]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
            check(host)
            return original(host, *args, **kwargs)

        return lookup

    return wrap


_SOCKET_METHODS = {"connect": _guard_connect, "connect_ex": _guard_connect, "sendto": _guard_sendto}
_LOOKUPS = {
    "getaddrinfo": _guard_lookup(_check_name),
    "gethostbyname": _guard_lookup(_check_name),
    "gethostbyname_ex": _guard_lookup(_check_name),
    "gethostbyaddr": _guard_lookup(_check_reverse),
}


def install() -> None:
    """Wrap the socket functions (idempotent)."""
    if _originals:
        return
    for name, guard in _SOCKET_METHODS.items():
        _originals[f"socket.{name}"] = socket.socket.__dict__.get(name)  # None: inherited from _socket
        setattr(socket.socket, name, guard(getattr(socket.socket, name)))
    for name, wrap in _LOOKUPS.items():
        _originals[name] = getattr(socket, name)
        setattr(socket, name, wrap(getattr(socket, name)))


def uninstall() -> None:
    """Put the real socket functions back."""
    for key, original in _originals.items():
        if key.startswith("socket."):
            name = key.removeprefix("socket.")
            if original is None:
                delattr(socket.socket, name)
            else:
                setattr(socket.socket, name, original)
        else:
            setattr(socket, key, original)
    _originals.clear()


def take_refusals() -> list[str]:
    """The refusals recorded since the last call, forgetting them."""
    with _lock:
        taken = list(_refusals)
        _refusals.clear()
    return taken


@contextmanager
def refusals_expected() -> Iterator[list[str]]:
    """For tests of the guard itself: collect the refusals made inside the block, not failing on them."""
    before = take_refusals()
    seen: list[str] = []
    try:
        yield seen
    finally:
        seen.extend(take_refusals())
        with _lock:
            _refusals[:0] = before
