"""Signing a batch of credentials that differ only in a few strings, from one stamp.

A cohort's credentials share everything but a few values (the credential and subject ids,
the salted identity hash, the status-list entry, the evidence, the scores). Building, walking,
canonicalizing and serializing each as a whole dict repeats the shared part's work for every
learner. A :class:`Stamp` is one credential of the batch written with slots (sentinel
strings) where those values go; from it come, once per stamp, the pieces of its compact JSON
and of its VC-JWT's registered claims, and its constant canonical quads
(:meth:`app.openbadges.rdfc.Canonicalizer.stamp`). Each credential is then a tuple of
strings filled into those pieces.

The output is byte for byte what :func:`app.openbadges.signing.signed_credentials` writes
for the credential built as a dict: issuing checks the stamp's JSON against a dict-built
credential once per stamp and batch (:func:`matches`), and whatever the fast path cannot
prove (a slot the contexts would read as shape, a value that is no safe IRI) goes through
the dict path. A stamp without slots is one whole credential, signed exactly as before.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

from app.openbadges.keys import multibase_b58
from app.openbadges.rdfc import Stamped, canonicalizer
from app.openbadges.signing import (
    REGISTERED_CLAIMS,
    JwtSigner,
    SigningKey,
    compact_json,
    isoformat,
    jws,
    jwt_claims,
    proof_options,
    sign_jwt,
)

# Private-use code points: JSON (ensure_ascii off) and the N-Quads escaping leave them as
# they are, and a value written into the probe by the documents' code stays findable.
SLOT = re.compile("\ue000(\\d+)\ue001")


def slot(index: int) -> str:
    """The sentinel for value ``index`` of a stamp."""
    return f"\ue000{index}\ue001"


@dataclass(frozen=True, eq=False)
class Stamp:
    """A credential whose strings hold ``slots`` numbered sentinels (:func:`slot`), or a
    whole credential (no slots). Picklable: a signing worker gets it once per task."""

    probe: dict[str, Any]
    slots: int = 0
    text: str = field(default="", compare=False)

    @classmethod
    def of(cls, probe: dict[str, Any], slots: int = 0) -> Stamp:
        """A stamp (its compact JSON written once)."""
        return cls(probe, slots, compact_json(probe))


# Text pieces: constants at even places, value indexes at odd places.
_Pieces = tuple[str | int, ...]


@dataclass(frozen=True)
class _Compiled:
    body: _Pieces
    claims: _Pieces | None  # None: the VC-JWT payload is written from the filled dict
    quads: Stamped | None  # None: canonical N-Quads from the filled dict


_compiled: dict[str, _Compiled] = {}


def _pieces(text: str) -> _Pieces:
    return tuple(int(p) if i % 2 else p for i, p in enumerate(SLOT.split(text)))


def _compile(stamp: Stamp) -> _Compiled:
    found = _compiled.get(stamp.text)
    if found is None:
        probe = stamp.probe
        claims = None
        if "proof" not in probe and not REGISTERED_CLAIMS & set(probe):
            # As sign_jwt writes the payload from the credential's own text.
            added = {k: v for k, v in jwt_claims(probe).items() if k in REGISTERED_CLAIMS}
            claims = _pieces("," + compact_json(added)[1:])
        slots = len(SLOT.findall(stamp.text))
        found = _Compiled(_pieces(stamp.text), claims, canonicalizer.stamp(probe, SLOT, slots))
        if len(_compiled) >= 64:  # a process meets a handful of badges' shapes at a time
            _compiled.clear()
        _compiled[stamp.text] = found
    return found


def _filled(pieces: _Pieces, escaped: Sequence[str]) -> str:
    return "".join([p if isinstance(p, str) else escaped[p] for p in pieces])


def fill(node: Any, values: Sequence[str]) -> Any:
    """A copy of the probe ``node`` with ``values`` in its slots: the credential as a dict."""
    if isinstance(node, dict):
        return {k: fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [fill(v, values) for v in node]
    if isinstance(node, str) and "\ue000" in node:
        return SLOT.sub(lambda m: values[int(m.group(1))], node)
    return node


def credential_text(stamp: Stamp, values: Sequence[str]) -> str:
    """The compact JSON of the (unsigned) credential ``values`` make of ``stamp``."""
    if not stamp.slots:
        return stamp.text
    # Only the JSON pieces: the issuing process checks a stamp its workers will sign.
    pieces = _compiled[stamp.text].body if stamp.text in _compiled else _pieces(stamp.text)
    return _filled(pieces, [encode_basestring(v)[1:-1] for v in values])


def matches(stamp: Stamp, values: Sequence[str], credential: dict[str, Any]) -> bool:
    """Whether ``stamp`` filled with ``values`` writes ``credential`` (built as a dict)."""
    return credential_text(stamp, values) == compact_json(credential)


# By context, verification method and time: a signing worker meets a batch's proof
# options in each of its tasks (canonicalizing them was a twentieth of its work).
_proof_heads: dict[tuple[str, str, str], tuple[bytes, str]] = {}


def _proof_head(probe: dict[str, Any], verification_method: str, created: str) -> tuple[bytes, str]:
    """The hash of the proof options for ``probe`` and the proof's text before its value."""
    cache_key = (compact_json(probe["@context"]), verification_method, created)
    found = _proof_heads.get(cache_key)
    if found is None:
        options = proof_options(probe, verification_method, created)
        options_hash = hashlib.sha256(canonicalizer.canonize(options).encode()).digest()
        proof = {k: v for k, v in options.items() if k != "@context"}
        found = (options_hash, compact_json([{**proof, "proofValue": ""}])[:-3])  # no '"}]'
        if len(_proof_heads) >= 64:
            _proof_heads.clear()
        _proof_heads[cache_key] = found
    return found


def sign(
    items: Sequence[tuple[Stamp, Sequence[str]]],
    key: SigningKey,
    jwt: JwtSigner,
    created: datetime,
) -> list[tuple[str, str]]:
    """Each credential (a stamp and its values) with its ``eddsa-rdfc-2022`` proof as compact
    JSON text, what issuing stores, and its VC-JWT: what
    :func:`app.openbadges.signing.signed_credentials` returns for the same credentials."""
    created_text = isoformat(created)
    # Per stamp: (compiled, proof options hash, the proof's text before its value).
    prepared: dict[int, tuple[_Compiled | None, bytes, str]] = {}
    out = []
    for stamp, values in items:
        ready = prepared.get(id(stamp))  # the stamps are alive in ``items``
        if ready is None:
            options_hash, head = _proof_head(stamp.probe, key.verification_method, created_text)
            ready = (_compile(stamp) if stamp.slots else None, options_hash, head)
            prepared[id(stamp)] = ready
        compiled, options_hash, head = ready
        canonical = None
        if compiled is None:
            body = stamp.text
            token = sign_jwt(stamp.probe, jwt, body)
            canonical = canonicalizer.canonize(stamp.probe)
        else:
            escaped = [encode_basestring(v)[1:-1] for v in values]
            body = _filled(compiled.body, escaped)
            if compiled.claims is not None:
                token = jws(body[:-1] + _filled(compiled.claims, escaped), jwt)
            else:
                token = sign_jwt(fill(stamp.probe, values), jwt)
            if compiled.quads is not None:
                canonical = compiled.quads.render(values)
            if canonical is None:
                canonical = canonicalizer.canonize(fill(stamp.probe, values))
        hash_data = options_hash + hashlib.sha256(canonical.encode()).digest()
        value = multibase_b58(key.private_key.sign(hash_data))
        # The text of {**credential, "proof": [proof]}: the proof is the last member.
        out.append((body[:-1] + ',"proof":' + head + value + '"}]}', token))
    return out
