"""Pure rules of the OB 3.0 API: getCredentials' Link relations, for every total, page size
and offset, tile the results exactly as the spec's relations promise; URLs are https, with
plain http only on loopback."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ob3api.spec import https_or_loopback, page_offsets


@given(st.integers(0, 5000), st.integers(1, 200), st.integers(0, 6000))
def test_links_name_the_neighbouring_pages(total, limit, offset):
    links = page_offsets(total, limit, offset)
    assert links["first"] == 0
    assert links["last"] % limit == 0 and links["last"] <= max(0, total - 1)
    assert links["last"] + limit >= total  # the last page holds the last result
    assert ("next" in links) == (offset + limit < total)
    if "next" in links:
        assert links["next"] == offset + limit and links["next"] <= links["last"] + limit - 1
    assert ("prev" in links) == (offset > 0)
    if "prev" in links:
        assert 0 <= links["prev"] < offset and offset - links["prev"] <= limit


@given(st.integers(1, 2000), st.integers(1, 100))
def test_following_next_from_first_visits_every_result_once(total, limit):
    seen, offset = [], 0
    while True:
        seen.extend(range(offset, min(offset + limit, total)))
        links = page_offsets(total, limit, offset)
        if "next" not in links:
            break
        offset = links["next"]
    assert seen == list(range(total))
    assert offset == page_offsets(total, limit, 0)["last"]


hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){1,3}", fullmatch=True)


@given(hosts, st.sampled_from(["", "/", "/cb", "/a/b?c=d"]))
def test_https_anywhere_http_never_off_this_machine(host, tail):
    assert https_or_loopback(f"https://{host}{tail}")
    assert not https_or_loopback(f"http://{host}{tail}")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://localhost:8080/cb", True),
        ("http://127.0.0.5/cb", True),
        ("http://[::1]:9000/", True),
        ("http://10.0.0.1/", False),
        ("ftp://example.org/", False),
        ("https:///nohost", False),
        ("javascript:alert(1)", False),
    ],
)
def test_loopback_and_other_schemes(url, ok):
    assert https_or_loopback(url) is ok
