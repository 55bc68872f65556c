"""Instructor uploads: PNG, JPEG or SVG in, safe badge artwork out.

Uploaded files are hostile until proven otherwise. What arrives is judged by its content,
not its name, and:

* SVG is parsed with defusedxml (no DTD, so no entities: no billion laughs, no XXE) and
  rebuilt from an *allow-list* of elements, attributes and style properties. Anything not on
  the list is dropped: scripts, event handlers, ``foreignObject``, animation, filters. The
  only references kept are ``#local`` ones, plus ``data:image/png|jpeg`` images (which are
  checked like any uploaded raster). A block-list (strip ``<script>`` and ``onload``) always
  misses something; an allow-list fails closed.
* Raster images are decoded by Pillow only after their header has shown a sane pixel
  count (a 50 kB PNG can claim 100 000 x 100 000 pixels), then re-encoded from pixels onto a
  transparent square canvas: metadata (EXIF with GPS, text chunks, ICC profiles) cannot
  survive that.

Attacks on the parser or the renderer (entities, cycles, ``<use>`` bombs, oversize input)
refuse the whole file with :class:`UploadError`; unsafe content inside an otherwise fine SVG
is removed and reported in ``ProcessedImage.warnings``.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import warnings as warnings_module
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from badge_design.render import FULL_SIZE, THUMBNAIL_SIZE, RenderError, render_pngs
from badge_design.svg_cost import MARKED_SHAPES, dash_period, shape_geometry

# Pillow is imported where pictures are read (in the render child, which preloads it): a web
# or queue process that only sanitizes or stores never holds it.
if TYPE_CHECKING:
    from PIL import Image

MAX_SVG_BYTES = 1024 * 1024
MAX_RASTER_BYTES = 10 * 1024 * 1024
#: Largest decoded raster accepted (pixels). 40 MP covers any phone photo; a bomb claims more.
MAX_PIXELS = 40_000_000
MAX_SVG_ELEMENTS = 20_000
MAX_SVG_DEPTH = 64
#: Most drawing an SVG may ask for, in element draws (about 60 µs each in cairosvg), once
#: every <use>, marker and mask is expanded; vertices and masks are converted below.
MAX_DRAW_COST = 50_000
#: Path vertices that cost a renderer about as much as drawing one element.
_VERTICES_PER_DRAW = 8
#: What drawing through one mask costs (its own surface, composited), in element draws.
_MASK_DRAWS = 1_000
#: Image pixels that cost a renderer about one element draw (every copy is decoded again).
_PIXELS_PER_DRAW = 4_096
#: Most dashes an SVG's dash patterns may cut its outlines into (each is a stroked polygon
#: in memory: about 3 million of them took a renderer 566 MB).
MAX_DASHES = 200_000
#: Images smaller than this look blurry once scaled up to 512 px.
SMALL_IMAGE_EDGE = 256

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"


class UploadError(ValueError):
    """An uploaded file was refused; the message says why, in words for the instructor."""


@dataclass(frozen=True)
class ProcessedImage:
    """A safe upload: clean SVG (for SVG uploads), a 512x512 PNG and a 128x128 thumbnail."""

    svg: str | None
    png: bytes
    thumbnail_png: bytes
    warnings: list[str] = field(default_factory=list)


# --- what the file is ---------------------------------------------------------------------

_EXTENSIONS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg"}


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def process_upload(filename: str, data: bytes) -> ProcessedImage:
    """Check, clean and normalise an uploaded badge image.

    Accepts PNG, JPEG and SVG, recognised by content (a name that disagrees gives a
    warning). Raises :class:`UploadError` with a readable message for refused files.
    """
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if extension not in _EXTENSIONS:
        raise UploadError(
            f"“{filename}” is not a PNG, JPEG or SVG file; please upload one of those."
        )
    if not data:
        raise UploadError("The file is empty.")
    kind = _sniff(data)
    if kind is None:
        raise UploadError(
            f"“{filename}” is not a valid PNG, JPEG or SVG image (its content is not "
            "recognisable as any of them)."
        )
    notes: list[str] = []
    if kind != _EXTENSIONS[extension]:
        notes.append(
            f"The file is named {extension} but contains a {kind.upper()} image; "
            f"it was processed as {kind.upper()}."
        )
    if kind == "svg":
        svg, svg_notes = sanitize_svg(data)
        notes.extend(svg_notes)
        try:
            png, thumbnail = render_pngs(svg)
        except RenderError as exc:
            raise UploadError("The SVG could not be drawn; please export it again.") from exc
        return ProcessedImage(svg=svg, png=png, thumbnail_png=thumbnail, warnings=notes)
    png, thumbnail, raster_notes = normalize_raster(data, kind)
    notes.extend(raster_notes)
    return ProcessedImage(svg=None, png=png, thumbnail_png=thumbnail, warnings=notes)


# --- raster -----------------------------------------------------------------------------------


def _open_raster(data: bytes, kind: str) -> Image.Image:
    """Open, bound and verify a PNG/JPEG; return it fully decoded."""
    from PIL import Image, UnidentifiedImageError

    limit = MAX_RASTER_BYTES
    if len(data) > limit:
        raise UploadError(f"The image is larger than {limit // (1024 * 1024)} MB.")
    with warnings_module.catch_warnings():
        # Pillow warns (then raises) about decompression bombs itself; our own pixel limit
        # below is stricter and its message readable, so turn the warning into an error.
        warnings_module.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
            _check_pixels(probe.size)
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
            _check_pixels(image.size)
            image.load()
        except UploadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UploadError(
                f"The image is too large to process (more than {MAX_PIXELS:,} pixels)."
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise UploadError(
                f"The file is not a valid {kind.upper()} image (it may be damaged or truncated)."
            ) from exc
    return image


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise UploadError(
            f"The image is {width:,} x {height:,} pixels; at most {MAX_PIXELS:,} pixels "
            "are accepted. Please upload a smaller image."
        )


def normalize_raster(data: bytes, kind: str = "png") -> tuple[bytes, bytes, list[str]]:
    """Decode a PNG/JPEG and return (512x512 PNG, 128x128 PNG, warnings).

    The image keeps its proportions, centred on a transparent square; only pixels are
    copied, so no metadata reaches the output.
    """
    from PIL import Image, ImageOps

    image = _open_raster(data, kind)
    notes: list[str] = []
    if getattr(image, "is_animated", False):
        notes.append("The image is animated; only its first frame is used.")
    # Photos are often stored sideways with an EXIF "rotate me" flag; apply it before the
    # EXIF is dropped, or the badge would come out sideways.
    image = ImageOps.exif_transpose(image)
    image = _to_srgb(image, notes)
    image = image.convert("RGBA")
    if max(image.size) < SMALL_IMAGE_EDGE:
        notes.append(
            f"The image is only {image.width} x {image.height} pixels and will look blurry; "
            f"{FULL_SIZE} x {FULL_SIZE} or larger works best."
        )
    if image.width != image.height:
        notes.append("The image is not square; it was centred on a transparent background.")
    scale = FULL_SIZE / max(image.size)
    fitted = image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        Image.Resampling.LANCZOS,
    )
    canvas = Image.new("RGBA", (FULL_SIZE, FULL_SIZE), (0, 0, 0, 0))
    canvas.paste(fitted, ((FULL_SIZE - fitted.width) // 2, (FULL_SIZE - fitted.height) // 2))
    thumbnail = canvas.resize((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    return _png_bytes(canvas), _png_bytes(thumbnail), notes


def _to_srgb(image: Image.Image, notes: list[str]) -> Image.Image:
    """Convert pixels from an embedded colour profile to sRGB.

    The profile itself is dropped with the other metadata, and pixels read without it are
    taken as sRGB; converting first keeps a photo in, say, Adobe RGB from turning dull.
    """
    from PIL import ImageCms

    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        notes.append("The image's colour profile could not be read; colours may differ.")
        return image
    assert converted is not None
    return converted


def _png_bytes(image: Image.Image) -> bytes:
    # A fresh Image.new canvas has an empty .info, so nothing but pixels is written.
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- SVG ---------------------------------------------------------------------------------

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
# url(...) targets: only fragment references into the same document.
_URL = re.compile(r"url\(\s*(?P<q>['\"]?)(?P<target>.*?)(?P=q)\s*\)", re.IGNORECASE | re.DOTALL)
_LOCAL_REF = re.compile(r"^#[A-Za-z_][\w.\-:]*$")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg);base64,([A-Za-z0-9+/=\s]+)$", re.IGNORECASE)
# A dash pattern declared in a style attribute or a stylesheet rule.
_DASH_DECLARATION = re.compile(r"stroke-dasharray\s*:\s*([^;}]*)", re.IGNORECASE)
# Characters that let CSS hide what it says (escapes, comments) or leave its context.
_CSS_SMUGGLING = re.compile(r"\\|/\*|<|>|@|expression\s*\(|javascript:", re.IGNORECASE)


def _local_name(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return None, tag


def _urls_are_local(value: str) -> bool:
    return all(_LOCAL_REF.match(m.group("target").strip()) for m in _URL.finditer(value))


def _clean_value(value: str) -> str | None:
    """A presentation value, or None when it refers outside the document or smuggles."""
    if _CSS_SMUGGLING.search(value) or not _urls_are_local(value):
        return None
    if "url(" in value.lower() and not _URL.search(value):
        return None  # an unterminated url( is a parser-differential trick
    return value


_MARKER_NOTE = (
    "Removed markers from an element that is not a path, line or polygon (on a "
    "group they would repeat on every shape inside it)."
)


def _clean_style(style: str, notes: set[str], markers: bool = True) -> str:
    kept = []
    for declaration in style.split(";"):
        if not declaration.strip():
            continue
        name, sep, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not sep or name not in ALLOWED_PROPERTIES:
            notes.add(f"Removed unsupported style property “{name}”.")
            continue
        if name.startswith("marker-") and not markers:
            notes.add(_MARKER_NOTE)
            continue
        clean = _clean_value(value)
        if clean is None:
            notes.add("Removed a style that referred to something outside the file.")
            continue
        kept.append(f"{name}:{clean}")
    return ";".join(kept)


def _clean_stylesheet(text: str, notes: set[str]) -> str | None:
    # A <style> sheet is kept only when it is plain rules with local references; we do not
    # rewrite CSS, so anything clever (imports, fonts, escapes, comments) drops the sheet.
    if _CSS_SMUGGLING.search(text) or not _urls_are_local(text):
        notes.add("Removed an embedded stylesheet that imported or referred to other files.")
        return None
    # Rules apply to many elements at once, so a sheet could make every path draw a marker
    # that draws more paths... The <use> expansion check cannot see that; allow local
    # references only to paint servers (gradients, which draw no elements of their own).
    for match in re.finditer(r"([\w-]+)\s*:[^;{}]*url\(", text, re.IGNORECASE):
        if match.group(1).lower() not in ("fill", "stroke"):
            notes.add("Removed an embedded stylesheet that applied masks, clips or markers.")
            return None
    return text


def _check_data_image(uri: str) -> bool:
    """A data: URI image is kept only if it is a PNG/JPEG that passes the raster checks."""
    match = _DATA_IMAGE.match(uri.strip())
    if not match:
        return False
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", match.group(2)), validate=True)
        _open_raster(raw, match.group(1).lower())
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
            raise UploadError(f"The SVG has more than {MAX_SVG_ELEMENTS:,} elements.")
        if depth > MAX_SVG_DEPTH:
            raise UploadError(f"The SVG is nested more than {MAX_SVG_DEPTH} levels deep.")
        namespace, name = _local_name(node.tag) if isinstance(node.tag, str) else (None, "")
        if namespace == SVG_NS and name in _TEXT_CONTENT:
            self.notes.add(
                "Removed text: please convert text to paths (outlines) in your editor, so "
                "the badge looks the same everywhere."
            )
            return None
        if namespace != SVG_NS or name not in ALLOWED_ELEMENTS:
            if name and name not in _QUIET_ELEMENTS and namespace in (SVG_NS, None):
                self.notes.add(f"Removed <{name}> (not allowed in badge images).")
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
                self.notes.add("Removed event handler attributes (scripts are not allowed).")
                continue
            if name in ("href", "xlink:href"):
                target = value.strip()
                if element == "image":
                    if not _check_data_image(target):
                        self.notes.add(
                            "Removed an image that was not an embedded PNG or JPEG "
                            "(images may not be loaded from elsewhere)."
                        )
                        return None
                elif not _LOCAL_REF.match(target):
                    self.notes.add("Removed a reference to something outside the file.")
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
                    self.notes.add("Removed a style that referred to something outside the file.")
                    continue
                kept[name] = clean
                continue
            self.notes.add(f"Removed unsupported attribute “{name}”.")
        if element == "image" and not any(k in kept for k in ("href", "xlink:href")):
            return None
        return kept


@dataclass
class _Cost:
    """What drawing one element costs, with everything it draws through references."""

    draws: float = 0.0
    #: Outline length drawn (user units), along which any dash pattern repeats.
    length: float = 0.0

    def add(self, other: _Cost, times: float = 1.0) -> None:
        self.draws += other.draws * times
        self.length += other.length * times


def _viewport(root: Element) -> tuple[float, float]:
    box = re.split(r"[\s,]+", root.get("viewBox", "").strip())
    _, _, width, height = (float(part) for part in box)
    return min(width, height), max(width, height)


def _dash_periods(root: Element, smallest_side: float) -> list[float]:
    """Every dash period the document declares, in attributes, styles and stylesheets.

    ``stroke-dasharray`` is inherited and stylesheet rules apply to many shapes, so the
    check assumes the shortest period may apply to every outline.
    """
    values = []
    for element in root.iter():
        values.append(element.get("stroke-dasharray") or "")
        for text in (
            element.get("style") or "",
            element.text or "" if element.tag == "style" else "",
        ):
            values += _DASH_DECLARATION.findall(text)
    periods = (dash_period(value, smallest_side) for value in values)
    return [period for period in periods if period is not None]


def _check_drawing_cost(root: Element) -> None:
    """Refuse SVG that would take a renderer too long or too much memory to draw.

    Counts what a renderer does, through every reference: elements drawn (with ``<use>``
    and mask copies), path vertices, one marker copy per vertex of a marked shape, and one
    dash per period along every outline. Also refuses ``<use>``/marker/mask cycles.
    """
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    smallest_side, largest_side = _viewport(root)
    cost: dict[int, _Cost] = {}
    visiting: set[int] = set()

    def reference(value: str) -> Element | None:
        match = _URL.search(value)
        target = match.group("target").strip()[1:] if match else ""
        return by_id.get(target)

    def weigh(element: Element) -> _Cost:
        key = id(element)
        if key in cost:
            return cost[key]
        if key in visiting:
            raise UploadError(
                "The SVG refers to itself in a loop (through <use>, a marker or a mask)."
            )
        visiting.add(key)
        total = _Cost(draws=1.0 + _image_pixels(element) / _PIXELS_PER_DRAW)
        vertices, length = shape_geometry(element, largest_side)
        total.add(_Cost(vertices / _VERTICES_PER_DRAW, length))
        for child in element:
            total.add(weigh(child))
        href = element.get("href") or element.get("xlink:href") or ""
        if href.startswith("#") and href[1:] in by_id:
            total.add(weigh(by_id[href[1:]]))
        properties = dict(element.attrib)
        properties.update(_declarations(element.get("style") or ""))
        for name, value in properties.items():
            target = reference(value) if "url(" in value else None
            if target is None:
                continue
            if name.startswith("marker-"):
                # One copy of the marker at every vertex (start and end: one each).
                total.add(weigh(target), vertices if name == "marker-mid" else 1)
            elif name == "mask":
                # A mask is drawn into a surface of its own and composited: far dearer
                # than the elements inside it.
                total.add(weigh(target))
                total.add(_Cost(draws=_MASK_DRAWS))
            else:  # fill, stroke (gradients) and clip-path draw the target once
                total.add(weigh(target))
        visiting.discard(key)
        if total.draws > MAX_DRAW_COST:
            raise UploadError(
                "The SVG is too complex to draw: its shapes, points, images, markers, masks "
                "and <use> copies add up to more than a badge image needs. Simplify it "
                "(fewer points, copies or markers) or upload it as a PNG."
            )
        cost[key] = total
        return total

    drawn = weigh(root)
    periods = _dash_periods(root, smallest_side)
    if periods:
        dashes = drawn.length / min(periods)
        if not dashes <= MAX_DASHES:  # also an outline too long to measure (inf or nan)
            raise UploadError(
                f"The SVG's dashed lines would draw about {_about(dashes)} dashes (at most "
                f"{MAX_DASHES:,} are drawn). Use longer dashes or shorter lines, or upload "
                "it as a PNG."
            )


def _image_pixels(element: Element) -> int:
    """Pixels of an ``<image>``'s embedded PNG/JPEG, read from its header (0 otherwise)."""
    if element.tag != "image":
        return 0
    match = _DATA_IMAGE.match((element.get("href") or element.get("xlink:href") or "").strip())
    if not match:
        return 0
    from PIL import Image

    raw = base64.b64decode(re.sub(r"\s+", "", match.group(2)))
    with Image.open(io.BytesIO(raw), formats=["PNG", "JPEG"]) as image:  # header only
        width, height = image.size
    return width * height


def _about(count: float) -> str:
    return f"{count:,.0f}" if math.isfinite(count) else "countless"


def _declarations(style: str) -> dict[str, str]:
    pairs = (declaration.partition(":") for declaration in style.split(";"))
    return {name.strip(): value.strip() for name, sep, value in pairs if sep}


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
        raise UploadError(f"The SVG is larger than {MAX_SVG_BYTES // 1024} kB.")
    try:
        # A plain DOCTYPE line is common in exported SVG and harmless; entities (the
        # vehicle of "billion laughs" and of XXE file reads) are what must never load.
        tree = fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UploadError(
            "The SVG declares XML entities, which are not accepted (they can read files "
            "or expand without limit)."
        ) from exc
    except (ParseError, ValueError) as exc:
        raise UploadError(f"The file is not well-formed SVG ({exc}).") from exc
    if _local_name(tree.tag) != (SVG_NS, "svg"):
        raise UploadError("The file is XML but not an SVG image (its root is not <svg>).")
    sanitizer = _Sanitizer()
    clean = sanitizer.element(tree, 0)
    assert clean is not None
    _normalize_root(clean)
    _check_drawing_cost(clean)
    return _serialize(clean), sorted(sanitizer.notes)
