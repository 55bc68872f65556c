"""The API's own description."""

from __future__ import annotations

from typing import Any

from app.api.registry import endpoint, openapi_document


@endpoint("GET", "/openapi.json", "This OpenAPI 3.1 document", tag="meta", public=True, errors=())
def openapi() -> dict[str, Any]:
    return openapi_document()
