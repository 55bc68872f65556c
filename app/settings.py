"""Settings from the environment (12-factor), with working defaults for a laptop."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import current_app


def _secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written with O_EXCL so two workers starting together agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _private_sqlite_file(database_url: str) -> None:
    """Create (or tighten) a SQLite database file readable by its owner only: it holds every
    learner's grades and email. SQLite gives its -wal and -shm files the same mode."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or database_url == prefix + ":memory:":
        return
    path = Path(database_url[len(prefix) :].split("?", 1)[0])
    if not path.parent.is_dir():
        return  # SQLAlchemy will say what is wrong with the URL
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            path.chmod(0o600)
    else:
        os.close(fd)


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Tuning knobs read from the environment when set; the code that uses each one holds its
# default (see the README's configuration table) and reads it with :func:`number`.
TUNABLE_NUMBERS = (
    "LAUNCH_SYNC_MIN_SECONDS",
    "LAUNCH_SYNC_DELAY_SECONDS",
    "JOB_RETRY_BASE_SECONDS",
    "JOB_RETRY_MAX_SECONDS",
    "JOB_MAX_ATTEMPTS",
    "JOB_LEASE_SECONDS",
    "OUTBOX_LEASE_SECONDS",
    "OUTBOX_GRACE_SECONDS",
    "WEBHOOK_TIMEOUT_SECONDS",
    "WEBHOOK_RETRY_BASE_SECONDS",
    "WEBHOOK_RETRY_CAP_SECONDS",
    "WEBHOOK_MAX_ATTEMPTS",
    "LTI_REGISTRATION_TIMEOUT",
    "LTI_KEY_SET_TIMEOUT",
    "CANVAS_THROTTLE_PAUSE_SECONDS",
    "ACCEPT_TOKEN_MAX_AGE",
    "ID_TOKEN_MAX_LIFETIME_SECONDS",
    # Worker processes that sign large batches of credentials (default: the cores; 0 or 1: none).
    "SIGNING_PROCESSES",
)
TUNABLE_FLAGS = ("INSTRUCTOR_DIGEST",)


def number(name: str, default: float) -> float:
    """A numeric tuning knob from the app's config (set from the environment), or its default."""
    value = current_app.config.get(name)
    return float(default if value is None or value == "" else value)


def load_settings(instance_path: Path) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    env = os.environ
    # instance/ holds the secret key, the SQLite database, the job queue and the launch cache.
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'badgebridge.db'}"
    _private_sqlite_file(database_url)
    if database_url.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy 2 only knows the postgresql scheme.
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    redis_url = env.get("REDIS_URL") or None
    config: dict[str, Any] = {
        "SECRET_KEY": _secret_key(instance_path),
        # Earlier SECRET_KEYs, newest first, comma-separated: still decrypt and verify.
        "SECRET_KEY_FALLBACKS": [
            k.strip() for k in (env.get("SECRET_KEY_FALLBACKS") or "").split(",") if k.strip()
        ],
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server connection can drop between requests: ping it on checkout. A SQLite file
        # cannot, and the ping was a statement per request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or "http://localhost:5000").rstrip("/"),
        "SMTP_URL": env.get("SMTP_URL") or None,
        "MAIL_FROM": env.get("MAIL_FROM") or "Badgebridge <badges@localhost>",
        "LTI_CONFIG_FILE": env.get("LTI_CONFIG_FILE") or "config.json",
        "LTI_REGISTRATION_AUTO_APPROVE": _bool(env.get("LTI_REGISTRATION_AUTO_APPROVE")),
        # Outbound requests to private and loopback addresses: off unless a deployment needs
        # them (the demo and tests' loopback sandbox, an LMS on a campus network).
        "OUTBOUND_ALLOW_PRIVATE_NETWORKS": _bool(env.get("OUTBOUND_ALLOW_PRIVATE_NETWORKS")),
        "LAUNCH_TOKEN_MAX_AGE": int(env.get("LAUNCH_TOKEN_MAX_AGE") or 900),
        "HUEY_IMMEDIATE": _bool(env.get("HUEY_IMMEDIATE")),
        "HUEY_SQLITE_PATH": env.get("HUEY_SQLITE_PATH") or str(instance_path / "jobs.db"),
        "SYNC_INTERVAL_SECONDS": int(env.get("SYNC_INTERVAL_SECONDS") or 300),
        # Bodies above this are refused with 413 before they are read; the artwork upload and
        # CSV import routes allow their own, larger, sizes (``body_limit``).
        # Origins allowed to frame the tool besides the registered platforms' (space-separated).
        "FRAME_ANCESTORS": (env.get("FRAME_ANCESTORS") or "").split(),
        # Rate limits of anonymous endpoints per client address (limits syntax: "N/period").
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_STORAGE_URI": redis_url or "swept-memory://",  # app/security/limit_storage.py
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATE_LIMIT_LTI_LOGIN": env.get("RATE_LIMIT_LTI_LOGIN") or "60/minute",
        "RATE_LIMIT_PUBLIC_PAGES": env.get("RATE_LIMIT_PUBLIC_PAGES") or "600/minute",
        "RATE_LIMIT_SHARE": env.get("RATE_LIMIT_SHARE") or "30/minute",
        # OB 3.0 API: open client registration, and learners typing an app's code.
        "RATE_LIMIT_OB3_REGISTER": env.get("RATE_LIMIT_OB3_REGISTER") or "10/minute;50/hour",
        "RATE_LIMIT_APP_CODE": env.get("RATE_LIMIT_APP_CODE") or "10/minute",
        # Dynamic registration answers anyone and makes the tool call out: few per address.
        "LTI_REGISTER_RATE_LIMIT": env.get("LTI_REGISTER_RATE_LIMIT")
        or ("10 per minute;50 per hour"),
        # Privacy: a learner's name shows on an award's public page only once they accepted it,
        # unless the institution publishes names from the start.
        "PUBLIC_NAMES_BEFORE_ACCEPT": _bool(env.get("PUBLIC_NAMES_BEFORE_ACCEPT")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH") or 2 * 1024 * 1024),
        # Reverse proxies in front of the tool whose X-Forwarded-* headers are believed.
        "TRUSTED_PROXY_HOPS": int(env.get("TRUSTED_PROXY_HOPS") or 0),
    }
    config.update({name: float(env[name]) for name in TUNABLE_NUMBERS if env.get(name)})
    config.update({name: _bool(env[name]) for name in TUNABLE_FLAGS if env.get(name)})
    if redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url)
    else:
        config.update(
            CACHE_TYPE="FileSystemCache",
            CACHE_DIR=str(instance_path / "cache"),
            # No file counting: cachelib rewrites a shared count file on every set otherwise.
            # Expired entries are removed when read and by the worker's periodic prune.
            CACHE_THRESHOLD=0,
        )
    config["CACHE_DEFAULT_TIMEOUT"] = 3600
    return config
