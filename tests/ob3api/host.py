"""A small OB 3.0 API host (a backpack) for tests: discovery, RFC 7591 registration, an
authorization endpoint that signs its user in at once, the token endpoint (checking the PKCE
verifier and client_secret_basic), and upsertCredential. ``fail`` makes a step answer an
error whose body carries a marker that must never reach the learner."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask, abort, jsonify, redirect, request

from app.ob3api import spec

MARKER = "HOST-PRIVATE-BODY-7731"


def make_host(received: list[dict[str, Any]], fail: str = "", deny: bool = False) -> Flask:
    host = Flask("test-ob3-host")
    clients: dict[str, dict[str, Any]] = {}
    codes: dict[str, dict[str, str]] = {}
    tokens: set[str] = set()

    def refuse(step: str):
        if fail == step:
            return f"<html>{MARKER}</html>", 400 if step != "discovery" else 404
        return None

    @host.get(spec.DISCOVERY_PATH)
    def discovery():
        if (answer := refuse("discovery")) is not None:
            return answer
        base = request.host_url.rstrip("/")
        return jsonify(
            {
                "openapi": "3.0.1",
                "info": {"title": "Test Backpack", "termsOfService": base + "/tos"},
                "servers": [{"url": base + spec.API_PREFIX}],
                "components": {
                    "securitySchemes": {
                        "OAuth2ACG": {
                            "type": "oauth2",
                            "x-imssf-registrationUrl": base + "/register",
                            "flows": {
                                "authorizationCode": {
                                    "authorizationUrl": base + "/authorize",
                                    "tokenUrl": base + "/token",
                                    "scopes": {s: s.rsplit("/", 1)[-1] for s in spec.SCOPES},
                                }
                            },
                        }
                    }
                },
            }
        )

    @host.post("/register")
    def register():
        if (answer := refuse("register")) is not None:
            return answer
        body = request.get_json()
        for name in (
            "client_name",
            "client_uri",
            "logo_uri",
            "tos_uri",
            "policy_uri",
            "software_id",
            "software_version",
            "redirect_uris",
            "scope",
        ):
            if not body.get(name):
                return jsonify({"error": "invalid_client_metadata", "missing": name}), 400
        client_id, secret = secrets.token_hex(8), secrets.token_hex(16)
        clients[client_id] = {"secret": secret, **body}
        return jsonify(
            {
                **body,
                "client_id": client_id,
                "client_secret": secret,
                "client_id_issued_at": 1,
                "client_secret_expires_at": 0,
            }
        ), 201

    @host.get("/authorize")
    def authorize():
        args = request.args
        client = clients.get(args.get("client_id", ""))
        if client is None or args.get("redirect_uri") not in client["redirect_uris"]:
            abort(400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            abort(400)
        if deny:
            query = {"error": "access_denied", "state": args["state"]}
            return redirect(f"{args['redirect_uri']}?{urlencode(query)}")
        code = secrets.token_hex(8)
        codes[code] = {
            "challenge": args["code_challenge"],
            "client_id": args["client_id"],
            "redirect_uri": args["redirect_uri"],
        }
        query = {"code": code, "state": args["state"], "scope": args.get("scope", "")}
        return redirect(f"{args['redirect_uri']}?{urlencode(query)}")

    @host.post("/token")
    def token():
        if (answer := refuse("token")) is not None:
            return answer
        basic = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
        client_id, secret = basic.split(":", 1)
        grant = codes.pop(request.form["code"], None)
        if (
            grant is None
            or clients.get(client_id, {}).get("secret") != secret
            or grant["client_id"] != client_id
            or grant["redirect_uri"] != request.form["redirect_uri"]
            or create_s256_code_challenge(request.form["code_verifier"]) != grant["challenge"]
        ):
            return jsonify({"error": "invalid_grant"}), 400
        access = secrets.token_hex(16)
        tokens.add(access)
        return jsonify(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": spec.CREDENTIAL_UPSERT,
            }
        )

    @host.post(spec.CREDENTIALS_PATH)
    def upsert():
        if (answer := refuse("upsert")) is not None:
            return answer
        if request.headers.get("Authorization", "")[7:] not in tokens:
            abort(401)
        received.append(request.get_json())
        return jsonify(request.get_json()), 201

    return host
