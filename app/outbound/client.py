"""The guarded HTTP client: a ``requests.Session`` that connects only where it checked.

Each request (and each redirect hop, which ``requests`` sends through the same adapter) is
checked before any byte leaves: an absolute http(s) URL without credentials; the host
resolved *once*, every address it resolves to allowed by :mod:`app.outbound.addresses`, and
the connection made to that pinned address (so a DNS answer that changes between the check and
the connection changes nothing). For https the certificate is still verified against the
host name, which is also sent as SNI; the ``Host`` header keeps the name too.

The body is read here, in chunks, up to a size cap and within a total deadline that covers
every hop; callers get an ordinary, fully read ``requests.Response``. Environment proxies are
ignored: a proxy would resolve the name itself, past the check.

Errors are ``requests.RequestException`` subclasses (so pylti1p3 and other callers treat them
as the network failures they are) whose text names the host and the reason, never a body.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError
from urllib3.util.connection import allowed_gai_family

from app.outbound.addresses import Address, refusal

Resolver = Callable[[str, int], list[str]]

USER_AGENT = "Badgebridge/1"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
TOTAL_TIMEOUT = 60.0
MAX_BYTES = 16 * 1024 * 1024  # an AGS results page of a large course (Moodle: one page)
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,60}/[A-Za-z0-9!#$&^_.+-]{1,100}$")


class OutboundRefused(requests.RequestException):
    """The request was not sent: its URL or the address it leads to is not allowed."""


class ResponseTooLarge(requests.RequestException):
    """The answer was longer than the cap; it was not read further."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as text (IPv6 too where this host has IPv6)."""
    infos = socket.getaddrinfo(host, port, family=allowed_gai_family(), type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials, or :class:`OutboundRefused`."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(f"{url!r} is not an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused(f"the URL to {parts.hostname} carries credentials")
    return url


def describe(response: requests.Response) -> str:
    """``HTTP 503 (text/html)``: what an error may say of an answer (never its body)."""
    media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    return f"HTTP {response.status_code} ({media if _MEDIA_TYPE.match(media) else 'no type'})"


class _GuardedAdapter(HTTPAdapter):
    """Resolves, checks and pins each connection; reads each body within its limits."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver,
        connect_timeout: float,
        read_timeout: float,
        max_bytes: int,
    ) -> None:
        super().__init__()
        self.allow_private = allow_private
        self.resolver = resolver
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_bytes = max_bytes

    def pin(self, host: str, port: int) -> Address:
        """The one address to connect to for ``host``, after checking all it resolves to."""
        try:
            found = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver(host, port)]
        except (OSError, UnicodeError) as exc:
            raise requests.ConnectionError(f"cannot resolve {host}") from exc
        if not found:
            raise requests.ConnectionError(f"cannot resolve {host}")
        for address in found:
            reason = refusal(address, self.allow_private)
            if reason:
                hint = (
                    ""
                    if self.allow_private or "private" not in reason
                    else (" (OUTBOUND_ALLOW_PRIVATE_NETWORKS allows private networks)")
                )
                raise OutboundRefused(f"{host} resolves to {address}, {reason}: refused{hint}")
        # One address is tried, a checked one: IPv4 first, since many hosts that receive an
        # AAAA answer have no IPv6 route.
        return min(found, key=lambda address: address.version)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict, dict]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        host = host_params["host"]
        port = host_params["port"] or (443 if host_params["scheme"] == "https" else 80)
        address = self.pin(host, port)
        # The name stays what the server sees (Host, SNI) and what its certificate must name.
        request.headers = CaseInsensitiveDict(request.headers)
        request.headers["Host"] = urlsplit(request.url).netloc
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = host
            pool_kwargs["assert_hostname"] = host
        host_params["host"] = str(address)
        return host_params, pool_kwargs

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
        deadline: float | None = None,
    ) -> requests.Response:
        check_url(request.url or "")
        deadline = deadline if deadline is not None else time.monotonic() + TOTAL_TIMEOUT
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise requests.Timeout(f"{urlsplit(request.url or '').hostname} did not answer in time")
        hop_timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        response = super().send(
            request, stream=True, timeout=hop_timeout, verify=verify, cert=cert, proxies=None
        )
        try:
            body = b"".join(self._read(response, deadline))
        finally:
            response.close()
        response._content = body
        response._content_consumed = True
        return response

    def _read(self, response: requests.Response, deadline: float) -> Iterator[bytes]:
        host = urlsplit(response.url).hostname
        total = 0
        try:
            for chunk in response.raw.stream(_CHUNK, decode_content=True):
                total += len(chunk)
                if total > self.max_bytes:
                    raise ResponseTooLarge(
                        f"{host} answered with more than {self.max_bytes} "
                        "bytes; the answer was not read further"
                    )
                if time.monotonic() > deadline:
                    raise requests.Timeout(f"{host} did not finish its answer in time")
                yield chunk
        except ReadTimeoutError as exc:
            raise requests.ReadTimeout(f"{host} stopped sending its answer") from exc
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(f"{host} broke off its answer") from exc
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(
                f"{host} sent an answer that does not decode"
            ) from exc


class OutboundSession(requests.Session):
    """The one way out: use it (or :func:`session`) for every URL that came from outside."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        user_agent: str = USER_AGENT,
    ) -> None:
        super().__init__()
        self.trust_env = False  # no environment proxies: they would resolve past the check
        self.max_redirects = max_redirects
        self.total_timeout = total_timeout
        self.headers["User-Agent"] = user_agent
        adapter = _GuardedAdapter(
            allow_private=allow_private,
            resolver=resolver or system_resolver,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_bytes=max_bytes,
        )
        # Replaces requests' own adapters: any other scheme has none and is refused.
        self.adapters.clear()
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # One deadline for the request and all its redirect hops (they come back through here).
        kwargs.setdefault("deadline", time.monotonic() + self.total_timeout)
        return super().send(request, **kwargs)

    def get_adapter(self, url: str) -> BaseAdapter:
        try:
            return super().get_adapter(url)
        except requests.exceptions.InvalidSchema as exc:
            raise OutboundRefused(f"{url!r} is not an absolute http(s) URL") from exc
