"""The geometry of the six badge shapes on the 512x512 canvas.

Each shape is one closed outline made of straight and cubic segments around a centre
point. The same outline is drawn (as SVG path data), scaled inwards for the tier band,
and sampled as a polygon to find how wide the shape is at a given height, which is what
the text auto-fit needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

Point = tuple[float, float]
CANVAS = 512
# Cubic Bézier handle length that approximates a quarter circle.
_KAPPA = 0.5522847498


@dataclass(frozen=True)
class Segment:
    """A line (``controls`` empty) or a cubic curve (two control points) ending at ``end``."""

    end: Point
    controls: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Outline:
    """A closed outline: ``start`` then ``segments``, scaled about ``center``."""

    start: Point
    segments: tuple[Segment, ...]
    center: Point

    def _scaled(self, point: Point, scale: float) -> Point:
        cx, cy = self.center
        return cx + (point[0] - cx) * scale, cy + (point[1] - cy) * scale

    def path(self, scale: float = 1.0) -> str:
        """SVG path data for the outline scaled by ``scale`` about its centre."""
        x, y = self._scaled(self.start, scale)
        parts = [f"M{_fmt(x)} {_fmt(y)}"]
        for segment in self.segments:
            points = [self._scaled(p, scale) for p in (*segment.controls, segment.end)]
            command = "C" if segment.controls else "L"
            parts.append(command + " ".join(f"{_fmt(px)} {_fmt(py)}" for px, py in points))
        parts.append("Z")
        return "".join(parts)

    def polygon(self, scale: float = 1.0, steps: int = 12) -> list[Point]:
        """The outline flattened to a polygon (each curve sampled ``steps`` times)."""
        points = [self._scaled(self.start, scale)]
        current = self.start
        for segment in self.segments:
            if segment.controls:
                c1, c2 = segment.controls
                for i in range(1, steps + 1):
                    t = i / steps
                    points.append(self._scaled(_cubic(current, c1, c2, segment.end, t), scale))
            else:
                points.append(self._scaled(segment.end, scale))
            current = segment.end
        return points


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cubic(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    u = 1 - t
    return (
        u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
        u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
    )


def _polar(center: Point, radius: float, degrees: float) -> Point:
    angle = math.radians(degrees)
    return center[0] + radius * math.cos(angle), center[1] + radius * math.sin(angle)


def _polygon_outline(points: list[Point], center: Point) -> Outline:
    return Outline(points[0], tuple(Segment(p) for p in points[1:]), center)


def _circle(center: Point, radius: float) -> Outline:
    cx, cy = center
    k = radius * _KAPPA
    return Outline(
        (cx, cy - radius),
        (
            Segment((cx + radius, cy), ((cx + k, cy - radius), (cx + radius, cy - k))),
            Segment((cx, cy + radius), ((cx + radius, cy + k), (cx + k, cy + radius))),
            Segment((cx - radius, cy), ((cx - k, cy + radius), (cx - radius, cy + k))),
            Segment((cx, cy - radius), ((cx - radius, cy - k), (cx - k, cy - radius))),
        ),
        center,
    )


def _rounded_square(left: float, top: float, size: float, radius: float) -> Outline:
    right, bottom = left + size, top + size
    k = radius * (1 - _KAPPA)
    return Outline(
        (left + radius, top),
        (
            Segment((right - radius, top)),
            Segment((right, top + radius), ((right - k, top), (right, top + k))),
            Segment((right, bottom - radius)),
            Segment((right - radius, bottom), ((right, bottom - k), (right - k, bottom))),
            Segment((left + radius, bottom)),
            Segment((left, bottom - radius), ((left + k, bottom), (left, bottom - k))),
            Segment((left, top + radius)),
            Segment((left + radius, top), ((left, top + k), (left + k, top))),
        ),
        (left + size / 2, top + size / 2),
    )


def _shield() -> Outline:
    # A heater shield: flat top with a shallow dip, straight flanks, curved to a point.
    return Outline(
        (64, 52),
        (
            Segment((256, 36), ((128, 52), (192, 36))),
            Segment((448, 52), ((320, 36), (384, 52))),
            Segment((448, 250)),
            Segment((256, 488), ((448, 380), (360, 450))),
            Segment((64, 250), ((152, 450), (64, 380))),
        ),
        (256, 256),
    )


def _star(center: Point, outer: float, inner: float) -> Outline:
    points = [_polar(center, outer if i % 2 == 0 else inner, -90 + 36 * i) for i in range(10)]
    return _polygon_outline(points, center)


def _rosette(center: Point, radius: float, bumps: int = 24) -> Outline:
    # Scallops: each bump is a cubic from one valley to the next bulging out past radius.
    valley = radius * 0.93
    step = 360 / bumps
    start = _polar(center, valley, -90)
    segments = []
    for i in range(bumps):
        a0, a1 = -90 + step * i, -90 + step * (i + 1)
        c1 = _polar(center, radius * 1.04, a0 + step * 0.15)
        c2 = _polar(center, radius * 1.04, a1 - step * 0.15)
        segments.append(Segment(_polar(center, valley, a1), (c1, c2)))
    return Outline(start, tuple(segments), center)


ROSETTE_CENTER: Point = (256, 214)
#: The two ribbon tails hanging below the rosette (drawn behind it).
ROSETTE_TAILS: tuple[tuple[Point, ...], ...] = (
    ((196, 320), (132, 492), (176, 474), (204, 506), (250, 352)),
    ((316, 320), (380, 492), (336, 474), (308, 506), (262, 352)),
)


@cache
def outline(template: str) -> Outline:
    """The outline of ``template`` at full size."""
    if template == "circle":
        return _circle((256, 256), 236)
    if template == "hexagon":
        center = (256, 256)
        return _polygon_outline([_polar(center, 244, -90 + 60 * i) for i in range(6)], center)
    if template == "shield":
        return _shield()
    if template == "rounded_square":
        return _rounded_square(36, 36, 440, 84)
    if template == "star":
        return _star((256, 276), 248, 148)
    if template == "rosette":
        return _rosette(ROSETTE_CENTER, 190)
    raise KeyError(template)


#: Scale of the tier band relative to the outline, and of the area text may use.
TIER_BAND_SCALE = 0.88
INTERIOR_SCALE = 0.80


@cache
def interior(template: str) -> tuple[Point, ...]:
    """The polygon inside which icon and text are laid out (inside the tier band)."""
    return tuple(outline(template).polygon(INTERIOR_SCALE))


def span_at(template: str, y: float, center_x: float = CANVAS / 2) -> tuple[float, float]:
    """The stretch of the interior crossed by the horizontal line at ``y`` around
    ``center_x``, as (left, right); (center_x, center_x) when the line misses it."""
    polygon = interior(template)
    left, right = -math.inf, math.inf
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y0 <= y < y1) or (y1 <= y < y0):
            x = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
            if x <= center_x:
                left = max(left, x)
            else:
                right = min(right, x)
    if math.isinf(left) or math.isinf(right):
        return center_x, center_x
    return left, right


def width_between(template: str, top: float, bottom: float, samples: int = 6) -> float:
    """The narrowest interior width over the band from ``top`` to ``bottom``."""
    narrowest = math.inf
    for i in range(samples + 1):
        left, right = span_at(template, top + (bottom - top) * i / samples)
        narrowest = min(narrowest, right - left)
    return max(0.0, narrowest)


def vertical_extent(template: str, center_x: float = CANVAS / 2) -> tuple[float, float]:
    """Top and bottom of the interior along the vertical line through ``center_x``."""
    polygon = interior(template)
    ys = []
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (x0 <= center_x < x1) or (x1 <= center_x < x0):
            ys.append(y0 + (center_x - x0) * (y1 - y0) / (x1 - x0))
    return min(ys), max(ys)
