"""Protections every route shares: request size limits, rate limits, security headers."""
