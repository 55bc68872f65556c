from datetime import timedelta

import jwt
from freezegun import freeze_time

from app.models import ToolKey
from lti import keys


def test_jwks_publishes_one_active_key_with_kid(client):
    body = client.get("/lti/jwks.json").get_json()
    assert len(body["keys"]) == 1
    key = body["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] and "d" not in key  # never the private half


def test_private_key_is_encrypted_at_rest(app):
    key = keys.active_key()
    assert "PRIVATE KEY" not in key.private_key_encrypted
    assert keys.private_pem(key).startswith("-----BEGIN PRIVATE KEY-----")


def test_rotation_keeps_old_key_published_for_the_overlap(app, client):
    old = keys.active_key()
    signed_by_old = jwt.encode({"x": 1}, keys.private_pem(old), "RS256", headers={"kid": old.kid})
    new = keys.rotate(timedelta(days=2))
    assert keys.active_key().kid == new.kid != old.kid

    published = {k["kid"]: k for k in client.get("/lti/jwks.json").get_json()["keys"]}
    assert set(published) == {old.kid, new.kid}
    # A platform can still verify what the old key signed.
    public = jwt.PyJWK(published[old.kid]).key
    assert jwt.decode(signed_by_old, public, algorithms=["RS256"]) == {"x": 1}

    with freeze_time(ToolKey.query.filter_by(kid=old.kid).one().retire_after + timedelta(1)):
        kids = {k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]}
    assert kids == {new.kid}


def test_wrong_secret_key_cannot_decrypt(app):
    import pytest

    from app.secret_box import SecretBoxError, decrypt

    key = keys.active_key()
    with pytest.raises(SecretBoxError):
        decrypt(key.private_key_encrypted, secret_key="another-secret")


def test_expired_cache_entries_are_pruned(app):
    import os
    import time

    import pytest
    from cachelib import FileSystemCache

    from app.extensions import cache
    from app.launch.tasks import prune_expired_cache

    if not isinstance(cache.cache, FileSystemCache):
        pytest.skip("Redis expires its own keys")
    cache.set("old-launch", {"x": 1}, timeout=1)
    cache.set("fresh-launch", {"x": 2}, timeout=3600)
    old_file = cache.cache._get_filename("old-launch")
    assert os.path.exists(old_file)
    time.sleep(2.1)
    assert prune_expired_cache.call_local() >= 1
    assert not os.path.exists(old_file)
    assert cache.get("fresh-launch") == {"x": 2}
