"""Raster uploads (PNG, JPEG): bounded, verified, then redrawn from pixels alone.

Pillow decodes an image only after its header has shown a sane pixel count (a 50 kB PNG can
claim 100 000 x 100 000 pixels); the pixels are then re-encoded onto a transparent square
canvas, so metadata (EXIF with GPS, text chunks, ICC profiles) cannot survive.
"""

from __future__ import annotations

import io
import warnings as warnings_module
from typing import TYPE_CHECKING

from badge_design.messages import translatable
from badge_design.render import FULL_SIZE, THUMBNAIL_SIZE
from badge_design.upload_errors import UploadError

# Pillow is imported where pictures are read (in the render child, which preloads it): a web
# or queue process that only sanitizes or stores never holds it.
if TYPE_CHECKING:
    from PIL import Image

MAX_RASTER_BYTES = 10 * 1024 * 1024
#: Largest decoded raster accepted (pixels). 40 MP covers any phone photo; a bomb claims more.
MAX_PIXELS = 40_000_000
#: Images smaller than this look blurry once scaled up to 512 px.
SMALL_IMAGE_EDGE = 256


def open_raster(data: bytes, kind: str) -> Image.Image:
    """Open, bound and verify a PNG/JPEG; return it fully decoded."""
    from PIL import Image, UnidentifiedImageError

    limit = MAX_RASTER_BYTES
    if len(data) > limit:
        raise UploadError(translatable("The image is larger than %(mb)d MB.", mb=limit // 2**20))
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
                translatable(
                    "The image is too large to process (more than %(pixels)s pixels).",
                    pixels=f"{MAX_PIXELS:,}",
                )
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise UploadError(
                translatable(
                    "The file is not a valid %(kind)s image (it may be damaged or truncated).",
                    kind=kind.upper(),
                )
            ) from exc
    return image


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise UploadError(
            translatable(
                "The image is %(width)s x %(height)s pixels; at most %(pixels)s pixels are"
                " accepted. Please upload a smaller image.",
                width=f"{width:,}",
                height=f"{height:,}",
                pixels=f"{MAX_PIXELS:,}",
            )
        )


def normalize_raster(data: bytes, kind: str = "png") -> tuple[bytes, bytes, list[str]]:
    """Decode a PNG/JPEG and return (512x512 PNG, 128x128 PNG, warnings).

    The image keeps its proportions, centred on a transparent square; only pixels are
    copied, so no metadata reaches the output.
    """
    from PIL import Image, ImageOps

    image = open_raster(data, kind)
    notes: list[str] = []
    if getattr(image, "is_animated", False):
        notes.append(translatable("The image is animated; only its first frame is used."))
    # Photos are often stored sideways with an EXIF "rotate me" flag; apply it before the
    # EXIF is dropped, or the badge would come out sideways.
    image = ImageOps.exif_transpose(image)
    image = _to_srgb(image, notes)
    image = image.convert("RGBA")
    if max(image.size) < SMALL_IMAGE_EDGE:
        notes.append(
            translatable(
                "The image is only %(width)d x %(height)d pixels and will look blurry;"
                " %(size)d x %(size)d or larger works best.",
                width=image.width,
                height=image.height,
                size=FULL_SIZE,
            )
        )
    if image.width != image.height:
        notes.append(
            translatable("The image is not square; it was centred on a transparent background.")
        )
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
        notes.append(
            translatable("The image's colour profile could not be read; colours may differ.")
        )
        return image
    assert converted is not None
    return converted


def _png_bytes(image: Image.Image) -> bytes:
    # A fresh Image.new canvas has an empty .info, so nothing but pixels is written.
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
