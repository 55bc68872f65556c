"""Tests for the pure criteria engine (`app.criteria`): no app, no database needed."""
