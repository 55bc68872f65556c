"""LTI 1.3 on top of pylti1p3: validating logins and launches, deep linking, the dynamic
registration handshake, AGS and NRPS clients, key sets and the tool's keys.

lti/ depends on the application only for its models, settings, secrets, the launch session,
the database and cache extensions and the guarded HTTP client (see
``tests/foundation/test_walls.py``). What a launch or a registration means to the product —
recording the course, syncing grades, auditing a registration — is the application's
(:mod:`app.launch`, :mod:`app.registrations`), which calls this package.
"""
