"""Flavours: how a Moodle 4.5 or a Canvas platform shapes its URLs, claims and answers."""

from __future__ import annotations

from lti.sandbox.flavours.canvas import CanvasFlavour
from lti.sandbox.flavours.moodle import MoodleFlavour

FLAVOURS: dict[str, MoodleFlavour | CanvasFlavour] = {
    "moodle": MoodleFlavour(),
    "canvas": CanvasFlavour(),
}


def flavour_of(name: str) -> MoodleFlavour | CanvasFlavour:
    """The flavour object named ``name``."""
    return FLAVOURS[name]
