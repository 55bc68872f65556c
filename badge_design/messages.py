"""Messages for instructors that an application can translate.

badge_design has no message catalogue (it imports nothing of the app), so each error and
warning it writes is a :class:`Message`: the English text, usable as any ``str`` (the API,
the CLI and logs show it as it is), that also keeps its gettext template and values. The
application translates it at the edge (``app.i18n.translated``); the templates are extracted
into the app's catalogue (``babel.cfg`` reads this package, keyword ``translatable``).
``lti/``, which may not import the app's i18n either, writes its service errors the same way.
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """English text with its template (``%(name)s`` placeholders) and the values filled in.

    A value may be a Message itself (a translatable phrase inside a sentence).
    """

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Message:
        made = super().__new__(cls, template % values if values else template)
        made.template = template
        made.values = values
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # Kept whole through pickling: errors come back from the render child process.
        return (_rebuild, (self.template, self.values))


def _rebuild(template: str, values: dict[str, Any]) -> Message:
    return Message(template, **values)


def translatable(template: str, **values: Any) -> Message:
    """A translatable message: ``template`` with ``values`` (``%(name)s``), in English."""
    return Message(template, **values)
