"""Open Badges 2.0 and 3.0: issuers, badges, assertions, signatures, baking, verification."""
