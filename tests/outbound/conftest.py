"""Fixtures for the outbound tests: no connection ever leaves the machine.

Attacks here name metadata and private addresses. ``connections`` wraps urllib3's connect:
it records every connection attempt and lets only loopback ones through, so a test sees what
the code *tried* (today's and yesterday's code alike) without sending a packet elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator

import pytest
import urllib3.util.connection


@pytest.fixture(autouse=True)
def connections(monkeypatch) -> list[tuple[str, list[str]]]:
    """Every connection attempt: (host asked for, the addresses it resolved to)."""
    real = urllib3.util.connection.create_connection
    attempts: list[tuple[str, list[str]]] = []

    def guarded(address, *args, **kwargs):
        host, port = address
        try:
            resolved = [
                info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            ]
        except OSError:
            resolved = []
        attempts.append((host, resolved))
        if not resolved or not all(ipaddress.ip_address(a).is_loopback for a in resolved):
            raise ConnectionRefusedError(f"test guard: no connection to {host} ({resolved})")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)
    return attempts


@pytest.fixture
def fake_dns(monkeypatch) -> Iterator[Callable[[str, list[str]], list[str]]]:
    """``fake_dns(name, [answer, answer, …])``: each lookup of ``name`` gets the next answer
    (the last one repeats), as a rebinding DNS server would; returns the lookup log."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if host not in answers:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        queue = answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        infos = []
        for address in answer.split(","):  # "a,b": one answer with several addresses
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (
                (address, port or 0, 0, 0) if family == socket.AF_INET6 else (address, port or 0)
            )
            infos.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return infos

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def add(name: str, sequence: list[str]) -> list[str]:
        answers[name] = list(sequence)
        return lookups

    yield add
