"""A page of AGS results is decoded one result at a time from its bytes: the same elements as
``json.loads`` wherever the slices cut the body, and the same error as ``Response.json()``."""

from __future__ import annotations

import json

import pytest
import requests

from lti.services import _array_elements


def _sliced(body: bytes, size: int) -> list[bytes]:
    return [body[start : start + size] for start in range(0, len(body), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 16])
def test_elements_are_those_of_the_whole_body_wherever_it_is_cut(size):
    results = [
        {"userId": str(n), "resultScore": n / 3, "comment": "très bien ✓" if n % 2 else None}
        for n in range(40)
    ]
    for body in (json.dumps(results), json.dumps(results, indent=2), "\ufeff" + json.dumps([])):
        assert list(_array_elements(_sliced(body.encode(), size))) == json.loads(
            body.lstrip("\ufeff")
        )


@pytest.mark.parametrize("body", [b"", b"null", b" [ ] ", b"null"])
def test_an_empty_answer_has_no_elements(body):
    assert list(_array_elements(_sliced(body, 2) or [body])) == []


@pytest.mark.parametrize("body", [b"{}", b"<html>", b"[1,", b"[1 2]", b"[{]"])
def test_anything_else_is_a_json_error(body):
    with pytest.raises(requests.JSONDecodeError):
        list(_array_elements([body]))


def test_results_are_decoded_only_as_they_are_asked_for():
    elements = _array_elements([b'[{"userId": "1"}, ', b"not JSON"])
    assert next(elements) == {"userId": "1"}
    with pytest.raises(requests.JSONDecodeError):
        next(elements)
