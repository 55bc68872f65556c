"""A small scripted browser (requests) that walks LTI flows the way a real one does.

It follows redirects and submits the auto-posting forms platforms and tools use between
steps. It can stop right before the launch POST so a test can tamper with the id_token.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str = "get"
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.auto_submit = False
        self.data_attrs: dict[str, str] = {}
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get")))
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "script":
            self._in_script = True
        if a.get("id") == "config":
            self.data_attrs = {k[5:]: v for k, v in a.items() if k.startswith("data-")}

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and ".submit()" in data:
            self.auto_submit = True


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


# Seconds a request waits for an answer: a live server that never answers fails the test
# instead of holding the run (a slow answer, e.g. a write waiting out SQLite's 30 s busy
# timeout, still arrives in time).
TIMEOUT = 120


class _Session(requests.Session):
    """A requests session whose requests time out unless the caller says otherwise."""

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


class Browser:
    """requests.Session with form auto-submission and an optional launch interceptor."""

    def __init__(self) -> None:
        self.session = _Session()
        self.history: list[requests.Response] = []

    def submit(self, form: Form, base_url: str) -> requests.Response:
        url = urljoin(base_url, form.action)
        if form.method.lower() == "post":
            return self.session.post(url, data=form.fields, allow_redirects=True)
        return self.session.get(url, params=form.fields, allow_redirects=True)

    def walk(
        self, response: requests.Response, stop_at: str | None = None, max_steps: int = 10
    ) -> requests.Response | Form:
        """Follow auto-posting pages; return the final response, or the form whose action
        ends with ``stop_at`` (before submitting it)."""
        for _ in range(max_steps):
            self.history.append(response)
            if "html" not in response.headers.get("Content-Type", ""):
                return response
            page = parse(response.text)
            if "lti1p3-loading-msg" in response.text:  # pylti1p3's cookie check; ours work
                params = json.loads(re.search(r"var urlParams = (\{.*?\});", response.text)[1])
                response = self.session.get(
                    response.url.split("?")[0],
                    params={k: html.unescape(v) for k, v in params.items()},
                )
                continue
            if page.data_attrs.get("auth-url"):  # tool's platform-storage login page
                response = self.session.get(page.data_attrs["auth-url"])
                continue
            if not (page.auto_submit and page.forms):
                return response
            form = page.forms[0]
            if stop_at and form.action.split("?")[0].endswith(stop_at):
                form.action = urljoin(response.url, form.action)
                return form
            response = self.submit(form, response.url)
        raise AssertionError("too many auto-submitting pages")

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.session.get(url, **kwargs)
