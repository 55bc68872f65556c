"""The designer's choices (shapes, tiers, gradient directions, icons) as people read them.

``badge_design`` names its choices in code words (``rounded_square``, ``flask-conical``); the
page shows these labels, in the reader's language. A name missing here (a new icon) shows as
its code word made readable, and the pseudo-locale test names it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # shapes
    "circle": _l("Circle"),
    "hexagon": _l("Hexagon"),
    "shield": _l("Shield"),
    "rounded_square": _l("Rounded square"),
    "star": _l("Star"),
    "rosette": _l("Rosette"),
    # tier bands
    "none": _l("None"),
    "bronze": _l("Bronze"),
    "silver": _l("Silver"),
    "gold": _l("Gold"),
    # gradient directions
    "vertical": _l("Vertical"),
    "horizontal": _l("Horizontal"),
    "diagonal": _l("Diagonal"),
    # icons
    "atom": _l("Atom"),
    "award": _l("Award"),
    "badge-check": _l("Badge with check mark"),
    "book": _l("Book"),
    "book-open": _l("Open book"),
    "brain": _l("Brain"),
    "calculator": _l("Calculator"),
    "camera": _l("Camera"),
    "circle-check": _l("Circle with check mark"),
    "clipboard-check": _l("Clipboard with check mark"),
    "code": _l("Code"),
    "compass": _l("Compass"),
    "cpu": _l("Processor"),
    "crown": _l("Crown"),
    "database": _l("Database"),
    "dna": _l("DNA"),
    "flag": _l("Flag"),
    "flask-conical": _l("Laboratory flask"),
    "globe": _l("Globe"),
    "graduation-cap": _l("Graduation cap"),
    "handshake": _l("Handshake"),
    "heart-handshake": _l("Heart and handshake"),
    "languages": _l("Languages"),
    "leaf": _l("Leaf"),
    "library": _l("Library"),
    "lightbulb": _l("Light bulb"),
    "map": _l("Map"),
    "medal": _l("Medal"),
    "message-circle": _l("Speech bubble"),
    "microscope": _l("Microscope"),
    "mountain": _l("Mountain"),
    "music": _l("Music"),
    "notebook-pen": _l("Notebook and pen"),
    "palette": _l("Palette"),
    "pen-tool": _l("Pen tool"),
    "pencil": _l("Pencil"),
    "presentation": _l("Presentation"),
    "puzzle": _l("Puzzle"),
    "rocket": _l("Rocket"),
    "ruler": _l("Ruler"),
    "school": _l("School"),
    "shield-check": _l("Shield with check mark"),
    "sigma": _l("Sigma"),
    "sprout": _l("Sprout"),
    "target": _l("Target"),
    "terminal": _l("Terminal"),
    "trophy": _l("Trophy"),
    "user-check": _l("Person with check mark"),
    "users": _l("People"),
    "zap": _l("Lightning"),
}


def design_label(value: str) -> str:
    """A designer choice's label in this request's language."""
    label = LABELS.get(value)
    return (
        str(label) if label is not None else value.replace("_", " ").replace("-", " ").capitalize()
    )
