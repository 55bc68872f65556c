"""The learner's side: My badges in the course, accepting awards, visibility, sharing.

Rooms: ``service`` (read model of the page: earned badges, progress, the pathway ladder),
``tokens`` (the signed accept link sent by email), ``views`` (routes; the course blueprint's
learner landing page renders from here).
"""
