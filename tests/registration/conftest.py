"""Fixtures for registration tests: a fake platform over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import urlencode

import pytest

from tests.registration.fake_platform import TOKEN, PlatformBehaviour, make_platform
from tests.support.live import serve


@pytest.fixture
def platform() -> Iterator[Callable[..., tuple[PlatformBehaviour, str]]]:
    """Start fake platforms: ``platform("moodle", **knobs)`` → (behaviour, configuration URL)."""
    with ExitStack() as stack:

        def start(flavour: str, **knobs) -> tuple[PlatformBehaviour, str]:
            behaviour = PlatformBehaviour(flavour, **knobs)
            base = stack.enter_context(serve(make_platform(behaviour), "127.0.0.1"))
            return behaviour, base + behaviour.config_path

        yield start


def register_url(configuration_url: str, token: str | None = TOKEN) -> str:
    """The URL an LMS opens on the tool to start dynamic registration."""
    params = {"openid_configuration": configuration_url}
    if token is not None:
        params["registration_token"] = token
    return "/lti/register?" + urlencode(params)


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mod/lti/openid-configuration.php"
