"""Hostile SVG in, safe SVG out: parsed without entities and rebuilt from an allow-list.

SVG is parsed with defusedxml (no DTD entities: no billion laughs, no XXE) and rebuilt from
an *allow-list* of elements, attributes and style properties. Anything not on the list is
dropped: scripts, event handlers, ``foreignObject``, animation, filters. The only references
kept are ``#local`` ones, plus ``data:image/png|jpeg`` images (which are checked like any
uploaded raster). A block-list (strip ``<script>`` and ``onload``) always misses something;
an allow-list fails closed.

Attacks on the parser or the renderer (entities, cycles, ``<use>`` bombs, oversize input)
refuse the whole file with :class:`UploadError` (the drawing cost is bounded by
:mod:`badge_design.svg_cost`); unsafe content inside an otherwise fine SVG is removed and
reported as a warning.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from badge_design.messages import translatable
from badge_design.raster import open_raster
from badge_design.render import FULL_SIZE
from badge_design.svg_cost import DATA_IMAGE, MARKED_SHAPES, URL_REFERENCE, check_drawing_cost
from badge_design.upload_errors import UploadError

MAX_SVG_BYTES = 1024 * 1024
MAX_SVG_ELEMENTS = 20_000
MAX_SVG_DEPTH = 64

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ALLOWED_ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "title",
        "desc",
        "symbol",
        "use",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "marker",
        "image",
        "style",
    }
)
# Text is not drawn from uploads: it would be set in whatever fonts the server has (so not
# the look the instructor saw), and odd text attributes can put cairo's shared FreeType
# font cache into a lasting error state that breaks later renders in the same process.
_TEXT_CONTENT = frozenset({"text", "tspan", "textPath"})
# Elements whose text content is kept; everywhere else text is insignificant whitespace.
_TEXT_ELEMENTS = frozenset({"title", "desc", "style"})
# Removed without a warning: editors' bookkeeping, not content anyone will miss.
_QUIET_ELEMENTS = frozenset({"metadata", "sodipodi:namedview"})

ALLOWED_ATTRIBUTES = frozenset(
    {
        "id",
        "class",
        "x",
        "y",
        "width",
        "height",
        "rx",
        "ry",
        "cx",
        "cy",
        "r",
        "fx",
        "fy",
        "fr",
        "x1",
        "y1",
        "x2",
        "y2",
        "dx",
        "dy",
        "d",
        "points",
        "pathLength",
        "transform",
        "viewBox",
        "preserveAspectRatio",
        "version",
        "offset",
        "gradientUnits",
        "gradientTransform",
        "spreadMethod",
        "clipPathUnits",
        "maskUnits",
        "maskContentUnits",
        "markerUnits",
        "markerWidth",
        "markerHeight",
        "refX",
        "refY",
        "orient",
        "role",
        "aria-label",
        "aria-labelledby",
        "aria-hidden",
        "focusable",
        "lang",
        "style",
        "href",
        "xlink:href",
        "xml:space",
        "text-anchor",
        "dominant-baseline",
        "rotate",
        "lengthAdjust",
        "textLength",
    }
)
#: Presentation properties, allowed as attributes and inside ``style``.
ALLOWED_PROPERTIES = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-opacity",
        "opacity",
        "stop-color",
        "stop-opacity",
        "clip-path",
        "clip-rule",
        "mask",
        "display",
        "visibility",
        "color",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "font-variant",
        "text-anchor",
        "dominant-baseline",
        "letter-spacing",
        "word-spacing",
        "text-decoration",
        "paint-order",
        "vector-effect",
        "shape-rendering",
        "marker-start",
        "marker-mid",
        "marker-end",
        "overflow",
    }
)
# The only url(...) targets and hrefs kept: fragment references into the same document.
_LOCAL_REF = re.compile(r"^#[A-Za-z_][\w.\-:]*$")
# Characters that let CSS hide what it says (escapes, comments) or leave its context.
_CSS_SMUGGLING = re.compile(r"\\|/\*|<|>|@|expression\s*\(|javascript:", re.IGNORECASE)


def _local_name(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return None, tag


def _urls_are_local(value: str) -> bool:
    return all(_LOCAL_REF.match(m.group("target").strip()) for m in URL_REFERENCE.finditer(value))


def _clean_value(value: str) -> str | None:
    """A presentation value, or None when it refers outside the document or smuggles."""
    if _CSS_SMUGGLING.search(value) or not _urls_are_local(value):
        return None
    if "url(" in value.lower() and not URL_REFERENCE.search(value):
        return None  # an unterminated url( is a parser-differential trick
    return value


_MARKER_NOTE = translatable(
    "Removed markers from an element that is not a path, line or polygon (on a"
    " group they would repeat on every shape inside it)."
)


def _clean_style(style: str, notes: set[str], markers: bool = True) -> str:
    kept = []
    for declaration in style.split(";"):
        if not declaration.strip():
            continue
        name, sep, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not sep or name not in ALLOWED_PROPERTIES:
            notes.add(translatable("Removed unsupported style property “%(name)s”.", name=name))
            continue
        if name.startswith("marker-") and not markers:
            notes.add(_MARKER_NOTE)
            continue
        clean = _clean_value(value)
        if clean is None:
            notes.add(translatable("Removed a style that referred to something outside the file."))
            continue
        kept.append(f"{name}:{clean}")
    return ";".join(kept)


def _clean_stylesheet(text: str, notes: set[str]) -> str | None:
    # A <style> sheet is kept only when it is plain rules with local references; we do not
    # rewrite CSS, so anything clever (imports, fonts, escapes, comments) drops the sheet.
    if _CSS_SMUGGLING.search(text) or not _urls_are_local(text):
        notes.add(
            translatable("Removed an embedded stylesheet that imported or referred to other files.")
        )
        return None
    # Rules apply to many elements at once, so a sheet could make every path draw a marker
    # that draws more paths... The <use> expansion check cannot see that; allow local
    # references only to paint servers (gradients, which draw no elements of their own).
    for match in re.finditer(r"([\w-]+)\s*:[^;{}]*url\(", text, re.IGNORECASE):
        if match.group(1).lower() not in ("fill", "stroke"):
            notes.add(
                translatable("Removed an embedded stylesheet that applied masks, clips or markers.")
            )
            return None
    return text


def _check_data_image(uri: str) -> bool:
    """A data: URI image is kept only if it is a PNG/JPEG that passes the raster checks."""
    match = DATA_IMAGE.match(uri.strip())
    if not match:
        return False
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", match.group(2)), validate=True)
        open_raster(raw, match.group(1).lower())
    except (binascii.Error, ValueError):
        return False
    return True


class _Sanitizer:
    def __init__(self) -> None:
        self.notes: set[str] = set()
        self.count = 0

    def element(self, node: Element, depth: int) -> Element | None:
        """A cleaned copy of ``node`` (None when the node is dropped)."""
        self.count += 1
        if self.count > MAX_SVG_ELEMENTS:
            raise UploadError(
                translatable(
                    "The SVG has more than %(count)s elements.", count=f"{MAX_SVG_ELEMENTS:,}"
                )
            )
        if depth > MAX_SVG_DEPTH:
            raise UploadError(
                translatable(
                    "The SVG is nested more than %(depth)d levels deep.", depth=MAX_SVG_DEPTH
                )
            )
        namespace, name = _local_name(node.tag) if isinstance(node.tag, str) else (None, "")
        if namespace == SVG_NS and name in _TEXT_CONTENT:
            self.notes.add(
                translatable(
                    "Removed text: please convert text to paths (outlines) in your editor, so"
                    " the badge looks the same everywhere."
                )
            )
            return None
        if namespace != SVG_NS or name not in ALLOWED_ELEMENTS:
            if name and name not in _QUIET_ELEMENTS and namespace in (SVG_NS, None):
                self.notes.add(
                    translatable(
                        "Removed <%(element)s> (not allowed in badge images).", element=name
                    )
                )
            return None
        attributes = self.attributes(node, name)
        if attributes is None:
            return None
        clean = Element(name, attributes)
        if name in _TEXT_ELEMENTS and node.text:
            clean.text = node.text
        if name == "style":
            sheet = _clean_stylesheet(node.text or "", self.notes)
            if sheet is None:
                return None
            clean.text = sheet
            return clean
        for child in node:
            cleaned = self.element(child, depth + 1)
            if cleaned is not None:
                if name in _TEXT_ELEMENTS and child.tail:
                    cleaned.tail = child.tail
                clean.append(cleaned)
        return clean

    def attributes(self, node: Element, element: str) -> dict[str, str] | None:
        kept: dict[str, str] = {}
        for raw_name, value in node.attrib.items():
            namespace, local = _local_name(raw_name)
            if namespace == XLINK_NS and local == "href":
                name = "xlink:href"
            elif namespace == XML_NS and local == "space":
                name = "xml:space"
            elif namespace is not None:
                continue  # editor namespaces (inkscape:, sodipodi:): bookkeeping
            else:
                name = local
            if name.lower().startswith("on"):
                self.notes.add(
                    translatable("Removed event handler attributes (scripts are not allowed).")
                )
                continue
            if name in ("href", "xlink:href"):
                target = value.strip()
                if element == "image":
                    if not _check_data_image(target):
                        self.notes.add(
                            translatable(
                                "Removed an image that was not an embedded PNG or JPEG"
                                " (images may not be loaded from elsewhere)."
                            )
                        )
                        return None
                elif not _LOCAL_REF.match(target):
                    self.notes.add(
                        translatable("Removed a reference to something outside the file.")
                    )
                    if element == "use":
                        return None
                    continue
                kept[name] = target
                continue
            if name == "style":
                style = _clean_style(value, self.notes, markers=element in MARKED_SHAPES)
                if style:
                    kept[name] = style
                continue
            if name.startswith("marker-") and element not in MARKED_SHAPES:
                # Markers are inherited: on a group (or the marker itself) they would repeat
                # on every shape inside, markers within markers, beyond what can be counted.
                self.notes.add(_MARKER_NOTE)
                continue
            if name in ALLOWED_PROPERTIES or name in ALLOWED_ATTRIBUTES:
                clean = _clean_value(value)
                if clean is None:
                    self.notes.add(
                        translatable("Removed a style that referred to something outside the file.")
                    )
                    continue
                kept[name] = clean
                continue
            self.notes.add(translatable("Removed unsupported attribute “%(name)s”.", name=name))
        if element == "image" and not any(k in kept for k in ("href", "xlink:href")):
            return None
        return kept


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(px)?\s*", value)
    return float(match.group(1)) if match else None


def _normalize_root(root: Element) -> None:
    """Give the root a usable viewBox and a 512x512 size (aspect kept by the viewBox)."""
    view_box = root.get("viewBox")
    numbers: list[float] = []
    if view_box:
        try:
            numbers = [float(part) for part in re.split(r"[\s,]+", view_box.strip())]
        except ValueError:
            numbers = []
    if len(numbers) != 4 or not all(map(math.isfinite, numbers)) or min(numbers[2:]) <= 0:
        width, height = _number(root.get("width")), _number(root.get("height"))
        if not width or not height or not math.isfinite(width * height):
            raise UploadError(
                "The SVG has no usable viewBox or width and height, so its size is unknown."
            )
        root.set("viewBox", f"0 0 {width:g} {height:g}")
    # Declared width/height may be absurd (a billion pixels); the picture is defined by the
    # viewBox, so the size is simply ours.
    root.set("width", str(FULL_SIZE))
    root.set("height", str(FULL_SIZE))


def _serialize(element: Element, root: bool = True) -> str:
    attributes = ""
    if root:
        attributes += f' xmlns="{SVG_NS}"'
        # Declared from the finished tree: an element that was dropped after its xlink:href
        # was read must not leave the namespace behind (cleaning twice would then differ).
        if any("xlink:href" in node.attrib for node in element.iter()):
            attributes += f' xmlns:xlink="{XLINK_NS}"'
    attributes += "".join(f" {name}={quoteattr(value)}" for name, value in element.attrib.items())
    inner = escape(element.text or "")
    inner += "".join(_serialize(child, root=False) for child in element)
    tail = escape(element.tail or "")
    if not inner:
        return f"<{element.tag}{attributes}/>{tail}"
    return f"<{element.tag}{attributes}>{inner}</{element.tag}>{tail}"


def sanitize_svg(data: bytes | str) -> tuple[str, list[str]]:
    """Parse and rebuild an SVG from the allow-list; return (clean SVG, warnings).

    Raises :class:`UploadError` for files that are refused outright (not SVG, entities or a
    DTD, too large, ``<use>`` cycles or bombs).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_SVG_BYTES:
        raise UploadError(
            translatable("The SVG is larger than %(kb)d kB.", kb=MAX_SVG_BYTES // 1024)
        )
    try:
        # A plain DOCTYPE line is common in exported SVG and harmless; entities (the
        # vehicle of "billion laughs" and of XXE file reads) are what must never load.
        tree = fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UploadError(
            translatable(
                "The SVG declares XML entities, which are not accepted (they can read files"
                " or expand without limit)."
            )
        ) from exc
    except (ParseError, ValueError) as exc:
        raise UploadError(
            translatable("The file is not well-formed SVG (%(reason)s).", reason=exc)
        ) from exc
    if _local_name(tree.tag) != (SVG_NS, "svg"):
        raise UploadError(
            translatable("The file is XML but not an SVG image (its root is not <svg>).")
        )
    sanitizer = _Sanitizer()
    clean = sanitizer.element(tree, 0)
    assert clean is not None
    _normalize_root(clean)
    check_drawing_cost(clean)
    return _serialize(clean), sorted(sanitizer.notes)
