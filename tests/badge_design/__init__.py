"""Tests of badge_design: artwork only, no app and no database."""
