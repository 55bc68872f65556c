"""Checking API input before any view uses it: JSON depth, schema, string lengths, NUL.

A route declares its body and query parameters in the registry (:mod:`app.api.registry`);
the blueprint's ``before_request`` hook calls :func:`checked_body` and :func:`checked_query`
so that a view only ever sees input of the declared shape. Column lengths come from the models
(:func:`text`), so a string longer than its column is refused here with a 422 instead of
reaching PostgreSQL (which answers such a string, or one holding NUL, with an error).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from sqlalchemy.orm import InstrumentedAttribute

from app.api.auth import ApiError
from app.security.json_input import JsonInputError, load_json

#: The cap for a Text column (no length of its own): far above any real description.
LONG_TEXT = 20_000
#: Strings of query parameters and path ids (public ids are 36 characters).
MAX_PARAM_CHARS = 255
#: Any number the API stores: inside a 32-bit integer column and far from float overflow.
MAX_NUMBER = 2**31 - 1


def text(column: InstrumentedAttribute[Any], **extra: Any) -> dict[str, Any]:
    """The schema of a string stored in ``column``: at most as long as the column holds."""
    length = getattr(column.property.columns[0].type, "length", None) or LONG_TEXT
    return {"type": "string", "maxLength": length, **extra}


def integer(minimum: int = 0, maximum: int = MAX_NUMBER, **extra: Any) -> dict[str, Any]:
    """The schema of a bounded integer."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum, **extra}


def parse_json(raw: bytes) -> Any:
    """The JSON document ``raw``, or ApiError(400) for bad, too deep or non-standard JSON."""
    try:
        return load_json(raw)
    except JsonInputError as exc:
        if exc.code == "too_deep":
            raise ApiError(400, "too_deep", str(exc)) from None
        raise ApiError(
            400, "bad_request", "send a JSON object (Content-Type: application/json)"
        ) from None


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path) if path else ""


def refuse_nul(value: Any, path: tuple[Any, ...] = ()) -> None:
    """ApiError(422) naming the first string (or key) of ``value`` that holds a NUL character."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError(422, "invalid", "must not contain NUL characters", _pointer(path))
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key, path)
            refuse_nul(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul(item, (*path, index))


def _reason(error: ValidationError) -> tuple[str, str]:
    """The offending field and a message that never repeats the value sent."""
    field, rule, limit = _pointer(error.absolute_path), error.validator, error.validator_value
    if rule == "required":
        missing = next((name for name in limit if name not in (error.instance or {})), "")
        return f"{field}/{missing}", "is required"
    messages = {
        "type": lambda: (
            "must be of type " + (" or ".join(limit) if isinstance(limit, list) else str(limit))
        ),
        "maxLength": lambda: f"must be at most {limit} characters",
        "minLength": lambda: f"must be at least {limit} characters",
        "maxItems": lambda: f"must have at most {limit} items",
        "minItems": lambda: f"must have at least {limit} items",
        "maximum": lambda: f"must be at most {limit}",
        "minimum": lambda: f"must be at least {limit}",
        "enum": lambda: "must be one of " + ", ".join(json.dumps(v) for v in limit),
        "maxProperties": lambda: f"must have at most {limit} members",
        "oneOf": lambda: "does not match any of the accepted forms",
    }
    return field, messages.get(rule, lambda: f"breaks the rule {rule!r}")()


def validate(value: Any, schema: dict[str, Any]) -> None:
    """ApiError(422) with the offending field when ``value`` does not match ``schema``."""
    error = best_match(Draft202012Validator(schema).iter_errors(value))
    if error is not None:
        field, message = _reason(error)
        raise ApiError(422, "invalid", message, field)
    refuse_nul(value)


def checked_body(raw: bytes, schema: dict[str, Any]) -> dict[str, Any]:
    """The request body parsed and checked against the route's schema."""
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "send a JSON object (Content-Type: application/json)")
    validate(data, schema)
    return data


def checked_query(args: dict[str, str], schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The declared query parameters present in ``args``, converted to their schema's type."""
    values: dict[str, Any] = {}
    for name, schema in schemas.items():
        if name not in args:
            continue
        raw = args[name]
        if schema.get("type") == "integer":
            try:
                values[name] = int(raw)
            except ValueError:
                raise ApiError(400, "bad_request", "must be an integer", name) from None
        else:
            values[name] = raw
        try:
            validate(values[name], schema)
        except ApiError as exc:
            raise ApiError(400, "bad_request", exc.message, name) from None
    return values


def refuse_bad_params(values: Iterable[tuple[str, Any]]) -> None:
    """ApiError(400) for a path or query value holding NUL or longer than any id or filter."""
    for name, value in values:
        value = str(value)
        if "\x00" in value or len(value) > MAX_PARAM_CHARS:
            raise ApiError(
                400,
                "bad_request",
                f"must be at most {MAX_PARAM_CHARS} characters, without NUL",
                name,
            )
