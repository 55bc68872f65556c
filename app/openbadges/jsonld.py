"""Bundled JSON-LD contexts behind an offline document loader, and plain pyld canonicalization.

Nothing is fetched at run time: the loader answers only the context URLs bundled in
``contexts/`` (badgr-server's ``jsonld_loader`` pattern) and refuses everything else. Signing
and verifying must not depend on a third party's web server being up, nor let a document
make us fetch arbitrary URLs.

pyld (and the lxml it imports, about 11 MiB between them) is imported by the functions that
run it, not by this module: the contexts' URLs are imported by every document builder, while
a process that only syncs grades never canonicalizes or expands a document.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V2 = "https://w3id.org/openbadges/v2"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
OB3_CONTEXT = [VC_V2, OB_V3]
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
# CLR 2.0 fixes the order: VC, then CLR, then OB (its schema checks the first three).
CLR_CONTEXT = [VC_V2, CLR_V2, OB_V3]


class UnknownContextError(LookupError):
    """A document referenced a context that is not bundled; we never fetch one. pyld reports
    it as the ``__cause__`` of a ``JsonLdError`` (it wraps whatever a document loader raises)."""


@cache
def bundled_contexts() -> dict[str, dict[str, Any]]:
    """The bundled context documents by URL (read once per process)."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_text())
    return {url: json.loads((CONTEXTS_DIR / name).read_text()) for url, name in index.items()}


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves bundled contexts and refuses any other URL."""
    try:
        document = bundled_contexts()[url]
    except KeyError:
        raise UnknownContextError(
            f"refusing to load {url!r}: only bundled JSON-LD contexts are allowed"
        ) from None
    # pyld may annotate what it is given; hand out a copy so the bundle stays pristine.
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document)}


def canonize(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of ``document`` with plain pyld (the reference path)."""
    from pyld import jsonld

    return jsonld.normalize(
        copy.deepcopy(document),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": document_loader,
        },
    )


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON-LD expansion with the bundled contexts."""
    from pyld import jsonld

    return jsonld.expand(copy.deepcopy(document), {"documentLoader": document_loader})


@cache
def schema(name: str) -> dict[str, Any]:
    """A bundled 1EdTech JSON schema by file stem (``clr_v2p0_clrcredential_schema``…)."""
    return json.loads((SCHEMAS_DIR / f"{name}.json").read_text())


def ob3_schema() -> dict[str, Any]:
    """The bundled 1EdTech OB 3.0 AchievementCredential JSON schema."""
    return schema("ob_v3p0_achievementcredential_schema")


def clr_schema() -> dict[str, Any]:
    """The bundled 1EdTech CLR 2.0 ClrCredential JSON schema."""
    return schema("clr_v2p0_clrcredential_schema")
