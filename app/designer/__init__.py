"""The badge designer: staff design (or upload) a badge's artwork inside the course.

Rooms: ``views.py`` (the blueprint, thin views), ``operations.py`` (what changes state:
saving a design or an upload as a new artwork version), ``preview.py`` (the pure live
preview and the icon picker's data).
"""
