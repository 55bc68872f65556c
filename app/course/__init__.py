"""Courses (LTI contexts) and the people in them: launch records and landing pages."""
