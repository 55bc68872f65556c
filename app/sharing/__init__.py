"""Sharing and downloads of awards: counted share links, LinkedIn URLs, verification views.

Every share or download a learner makes goes through one counting endpoint
(``/share/<assertion>/<channel>``) that records a `ShareEvent` and then sends the browser on;
views of the public verification page are recorded as `VerificationView` rows (bots
excluded). Analytics (issue 8) read both tables.
"""
