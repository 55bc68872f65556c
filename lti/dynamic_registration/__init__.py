"""LTI Dynamic Registration 1.0, the tool's side, on top of pylti1p3's ``DynamicRegistration``.

The LMS opens ``/lti/register?openid_configuration=…&registration_token=…`` (Moodle in a
dialog, Canvas in an iframe). The tool reads the platform's OpenID configuration, checks it,
POSTs its client registration to the platform's ``registration_endpoint`` and hands back what
the platform answered; :mod:`app.registrations.dynamic` stores it. Every request goes through
the guarded client (:mod:`app.outbound`).

pylti1p3 gives the shape of the registration request; this package adds what it leaves out:
the registration token on the configuration GET (Canvas requires it), timeouts and a size cap
on every request, http(s)-only URLs, the issuer/URL match the spec requires, scopes narrowed
to what the platform offers, Canvas's placements and privacy level, and an error for each way
the handshake can fail.

Rooms: :mod:`.configuration` (checking the platform's OpenID configuration), :mod:`.exchange`
(one request to the platform and its failures), :mod:`.handshake` (what the tool asks for,
and the handshake itself).
"""
