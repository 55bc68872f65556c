"""LTI end-to-end tests; fixtures live in tests/support/lti_env.py."""

from tests.support.lti_env import course_of, login_of, start_launch  # noqa: F401
