"""A real SMTP server (aiosmtpd) on a free local port, recording what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted; ``refuse`` temporary failures come first."""

    refuse: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int, inbox: Inbox) -> None:
        self.port = port
        self.inbox = inbox
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(app) -> Iterator[SmtpServer]:
    """A running SMTP server, configured as the app's SMTP_URL for the test."""
    server = SmtpServer(free_port(), Inbox())
    server.start()
    previous = app.config.get("SMTP_URL")
    app.config["SMTP_URL"] = server.url
    try:
        yield server
    finally:
        app.config["SMTP_URL"] = previous
        server.stop()


@pytest.fixture
def idle_smtp(app) -> Iterator[SmtpServer]:
    """SMTP_URL points at a port nobody listens on yet (connections refused) until the test
    calls ``start()``."""
    server = SmtpServer(free_port(), Inbox())
    previous = app.config.get("SMTP_URL")
    app.config["SMTP_URL"] = server.url
    try:
        yield server
    finally:
        app.config["SMTP_URL"] = previous
        server.stop()
