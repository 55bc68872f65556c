"""Keep the message catalogue in step with the code, in one command.

    python scripts/i18n.py           # extract, update every language, compile (the usual)
    python scripts/i18n.py extract   # templates and code -> app/translations/messages.pot
    python scripts/i18n.py update    # .pot -> each language's messages.po (new strings empty)
    python scripts/i18n.py compile   # .po -> .mo (the .mo files are committed: run after edits)
    python scripts/i18n.py missing   # list untranslated or fuzzy strings per language

Strings are marked with ``_()``/``gettext()`` in Python and ``{{ _("…") }}`` in templates;
``babel.cfg`` says where to look. The lead runs this after merging, then translates what
``missing`` lists; ``tests/i18n`` fails until every language is complete.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
LANGUAGES = ("en", "es", "fr", "de", "pt_BR", "ar")  # app.i18n.SUPPORTED; English is the source


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def extract() -> None:
    """Collect every marked string into the template catalogue."""
    _pybabel(
        "extract", "-F", "babel.cfg", "-k", "_l", "-k", "translatable", "--no-location",
        "--sort-output", "--project", "Badgebridge", "--omit-header", "-o", str(POT), ".",
    )  # fmt: skip


def update() -> None:
    """Merge the template into each language (creating missing ones); no fuzzy guesses. The
    English catalogue is the source text itself, so it is completed here."""
    for lang in LANGUAGES:
        po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        command = "update" if po.exists() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if po.exists() else []
        _pybabel(command, "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang, "-w", "100", *extra)
    _english_is_the_source(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")


def _english_is_the_source(po: Path) -> None:
    with po.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id and not any(
            message.string if isinstance(message.string, tuple) else [message.string]
        ):
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
    with po.open("wb") as f:
        write_po(f, catalog, width=100, no_location=True, sort_output=True)


def compile_all() -> None:
    """Compile every language's catalogue to the .mo file Flask-Babel reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def missing() -> int:
    """Print untranslated or fuzzy strings per language; return how many."""
    count = 0
    for lang in LANGUAGES:
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and (not all(strings) or message.fuzzy):
                count += 1
                print(f"{lang}: {message.id!r}")
    return count


def main(argv: list[str]) -> int:
    """Run the named steps, or extract + update + compile."""
    steps = {"extract": extract, "update": update, "compile": compile_all}
    if argv == ["missing"]:
        return 1 if missing() else 0
    for name in argv or ["extract", "update", "compile"]:
        steps[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
