"""Refresh the bundled fonts and icons from their npm packages.

Run by hand (not at import or install time) when upgrading the bundled artwork:

    python badge_design/assets/refresh_assets.py

It needs `npm` on the PATH: `npm pack` downloads the exact package versions pinned below
from the npm registry into a temporary directory, and the files we ship are copied from
there together with each package's license. The copies are committed, so rendering never
needs npm or the network.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent

FONT_PACKAGE = "@fontsource/noto-sans@5.3.0"
# Latin first: the renderer looks a character up in these files in this order.
FONT_SUBSETS = ("latin", "latin-ext", "greek", "cyrillic", "vietnamese")
FONT_WEIGHTS = ("600", "700")

ICON_PACKAGE = "lucide-static@1.62.0"
# A curated set of education and skill icons; the names are Lucide's.
ICONS = (
    "atom",
    "award",
    "badge-check",
    "book",
    "book-open",
    "brain",
    "calculator",
    "camera",
    "circle-check",
    "clipboard-check",
    "code",
    "compass",
    "cpu",
    "crown",
    "database",
    "dna",
    "flag",
    "flask-conical",
    "globe",
    "graduation-cap",
    "handshake",
    "heart-handshake",
    "languages",
    "leaf",
    "library",
    "lightbulb",
    "map",
    "medal",
    "message-circle",
    "microscope",
    "mountain",
    "music",
    "notebook-pen",
    "palette",
    "pen-tool",
    "pencil",
    "presentation",
    "puzzle",
    "rocket",
    "ruler",
    "school",
    "shield-check",
    "sigma",
    "sprout",
    "star",
    "target",
    "terminal",
    "trophy",
    "user-check",
    "users",
    "zap",
)


def _unpack(spec: str, workdir: Path) -> Path:
    """Download one npm package tarball with `npm pack` and unpack it."""
    out = (
        subprocess.run(
            ["npm", "pack", spec, "--silent"],
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    target = workdir / spec.replace("/", "_")
    with tarfile.open(workdir / out) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def main() -> None:
    """Copy the pinned fonts and icons (and their licenses) into this folder."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fonts = _unpack(FONT_PACKAGE, work)
        (ASSETS / "fonts").mkdir(exist_ok=True)
        shutil.copy(fonts / "LICENSE", ASSETS / "fonts" / "LICENSE")
        for weight in FONT_WEIGHTS:
            for subset in FONT_SUBSETS:
                name = f"noto-sans-{subset}-{weight}-normal.woff"
                shutil.copy(fonts / "files" / name, ASSETS / "fonts" / name)

        icons = _unpack(ICON_PACKAGE, work)
        (ASSETS / "icons").mkdir(exist_ok=True)
        shutil.copy(icons / "LICENSE", ASSETS / "icons" / "LICENSE")
        for name in ICONS:
            shutil.copy(icons / "icons" / f"{name}.svg", ASSETS / "icons" / f"{name}.svg")


if __name__ == "__main__":
    main()
