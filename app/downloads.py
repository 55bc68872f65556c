"""People's text in headers and file names: one line, and encoded for the header (RFC 6266).

A ``Content-Disposition`` header is Latin-1 on the wire: a badge named "数据 🏅" cannot be
written into it as is (the response then never finishes), and a name with a line break
would split the header. Every download names its file here: an ASCII ``filename`` for old
clients, and the full name, percent-encoded UTF-8, in ``filename*`` (RFC 6266 and 8187),
which browsers prefer. Mail headers take names through :func:`one_line` (the email package
then encodes any script itself).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

#: Longest name kept (before the extension): file systems and download bars stay happy.
MAX_NAME_CHARS = 60
# Not in any file name: path separators, quotes, and what Windows refuses.
_UNSAFE = re.compile(r'[\\/:*?"<>|;]')


def one_line(text: str) -> str:
    """``text`` on one line: line breaks, tabs and other control characters become spaces.

    What a header (a mail subject, a display name) may carry of text a person typed.
    """
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def file_name(name: str) -> str:
    """``name`` as a file name (no extension): one line, no path or quote characters."""
    return " ".join(_UNSAFE.sub(" ", one_line(name)).split())[:MAX_NAME_CHARS].strip(" .")


def content_disposition(name: str, extension: str, fallback: str = "badge") -> str:
    """An ``attachment`` header value naming the file ``<name>.<extension>``.

    ``name`` may be anything a person typed; ``fallback`` names the file when nothing of it
    is left in ASCII.
    """
    readable = file_name(name) or fallback
    ascii_only = unicodedata.normalize("NFKD", readable).encode("ascii", "ignore").decode()
    ascii_name = " ".join(ascii_only.split()) or fallback
    value = f'attachment; filename="{ascii_name}.{extension}"'
    if ascii_name != readable:
        value += f"; filename*=UTF-8''{quote(f'{readable}.{extension}', safe='')}"
    return value


def as_download(response: Response, name: str, extension: str, fallback: str = "badge") -> Response:
    """``response`` marked as a download of ``<name>.<extension>``."""
    response.headers["Content-Disposition"] = content_disposition(name, extension, fallback)
    return response
