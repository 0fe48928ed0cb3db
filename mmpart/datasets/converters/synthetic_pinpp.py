"""Synthetic PIN++: a small, learnable part-recognition dataset written in the PIN++ release layout.

Nothing can be downloaded where mmpart is tested, so the tests and ``make demo`` train on this. Each
class is an object made of 2-5 parts (quadruped, fish, bird, car, snake, bottle, house, airplane, then
the same shapes again with other textures and colours); classes differ both in part layout and in
part textures (stripes, dots, checker, solid, gradient), so either cue can be learnt. Every image has
a random pose (scale, position, rotation, flip, aspect), colour jitter, pixel noise and a cluttered
background of textured shapes and lines. Layout written, in the shapes the real release is known to
have (DESIGN §2.1; read by :class:`PINPPRelease`)::

    OUT_DIR/imagenet/train/<wnid>/<wnid>_<n>.JPEG    annotated images (n < images_per_class) and the
                                                     unlabeled pool (n = 100000, 100001, ...)
    OUT_DIR/imagenet/val/<wnid>/<wnid>_val_<n>.JPEG  classification val images
    OUT_DIR/pinpp/json/<wnid>.json                   COCO polygons of the annotated images; image ids
                                                     from 1, file_name "<wnid>/<wnid>_<n>.JPEG"
    OUT_DIR/pinpp/category_name.json                 per json file: [{"file_name", "object_name",
                                                     "part_names"}]
    OUT_DIR/pinpp/including/<wnid>.txt               "<part>:<container part>" lines, CRLF, the last
                                                     one without a line end (may be empty)
    OUT_DIR/pinpp/discarded_data.json                [{"file_name": "<wnid>/<file name>"}]
    OUT_DIR/unlabeled.txt                            "<wnid>/<file name>" of the unlabeled pool
    OUT_DIR/synthetic_pinpp.json                     the arguments; marks the entries above as generated

A rerun into the same folder replaces a previous synthetic output; it refuses to write over entries
that have no ``synthetic_pinpp.json`` beside them (e.g. a real ImageNet tree).

Parts are painted from the very polygons written to the json. Category ids follow the painting order
(back to front) and a part painted over another one is smaller than it, so painting the polygons in
id order, or by decreasing area with contained parts last, reproduces the image's part map.

Every image draws its randomness from its own generator seeded by (seed, class, split, index): the
same arguments give byte-identical files, and changing one count does not change the other images.

With ``defects=True`` the release contains, each in its own annotated image (defect ``j`` below is
in class ``(j - 1) % num_classes``, annotated image ``(j - 1) // num_classes``):

1. ``short_polygon``: an annotation with a 2-point polygon after its valid polygon;
2. ``short_only_polygon``: an extra annotation whose only polygon has 2 points;
3. ``zero_area``: an extra annotation with collinear points and ``area`` 0;
4. ``missing_file``: a json image entry whose JPEG is not written;
5. ``grayscale``: an image saved as a single-channel (mode "L") JPEG;
6. ``discarded``: an image listed in ``discarded_data.json``.

Dropping the invalid polygons and annotations of 1-3 leaves exactly the parts that were drawn.
"""
import colorsys
import json
import os
import os.path as osp
import shutil
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar
from PIL import Image, ImageDraw

from mmpart.utils.atomic_io import atomic_write, atomic_write_text

DEFECTS = ('short_polygon', 'short_only_polygon', 'zero_area', 'missing_file', 'grayscale', 'discarded')
UNLABELED_OFFSET = 100000  # file number of the first unlabeled image of a class
MARKER = 'synthetic_pinpp.json'
_OUTPUTS = ('imagenet', 'pinpp', 'unlabeled.txt')  # what a rerun may replace, next to MARKER
_TEXTURE_KINDS = ('stripes', 'dots', 'checker', 'solid', 'gradient')
_ADJECTIVES = {'stripes': 'striped', 'dots': 'dotted', 'checker': 'checkered', 'solid': 'plain',
               'gradient': 'shaded'}
# colours of part ids 1..5 when rendering with ``solid=True`` (templates have at most 5 parts)
_SOLID_PALETTE = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (145, 30, 180))
_SPLITS = {'train': 0, 'unlabeled': 1, 'val': 2}
_SUPERSAMPLE = 8  # polygons are filled at 8x and box-filtered: anti-aliased edges

Polygons = List[np.ndarray]  # each (n, 2): x, y
Colour = Tuple[float, float, float]
Template = Callable[[], List[Tuple[str, Polygons]]]


@dataclass(frozen=True)
class _Texture:
    """A two-colour pattern; ``period`` is in the units of the coordinates it is evaluated at."""
    kind: str
    fg: Colour
    bg: Colour
    period: float
    angle: float


@dataclass(frozen=True)
class _Part:
    name: str
    polygons: Tuple[np.ndarray, ...]  # in the centred object frame (x right, y down)
    texture: _Texture


@dataclass(frozen=True)
class _ClassSpec:
    index: int
    wnid: str
    name: str
    parts: Tuple[_Part, ...]  # painting order == category id order
    including: Tuple[Tuple[str, str], ...]
    extent: Tuple[float, float]  # width, height of the parts' bounding box in the object frame


# -------------------------------------------------------------------------------------------------
# Object templates: (part name, polygons) in painting order, in a frame about [-1, 1]^2, y down.
# Parts painted first only touch later ones along an edge, unless they are larger.


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 24) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _on_ellipse(rx: float, ry: float, degrees: float) -> Tuple[float, float]:
    t = np.deg2rad(degrees)
    return rx * np.cos(t), ry * np.sin(t)


def _poly(*points: Sequence[float]) -> np.ndarray:
    return np.asarray(points, dtype=float)


def _rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return _poly((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _quadruped() -> List[Tuple[str, Polygons]]:
    rx, ry = 0.7, 0.3
    legs = []
    for x0 in (-0.55, -0.33, 0.22, 0.44):
        xs = np.linspace(x0, x0 + 0.13, 3)
        top = np.stack([xs, ry * np.sqrt(1 - (xs / rx) ** 2)], 1)  # follows the body's lower edge
        legs.append(np.vstack([[x0, 0.75], top, [x0 + 0.13, 0.75]]))
    tail = _poly(_on_ellipse(rx, ry, 190), (-1.02, -0.5), (-0.96, -0.56), _on_ellipse(rx, ry, 210))
    return [('tail', [tail]), ('leg', legs), ('body', [_ellipse(0, 0, rx, ry)]),
            ('head', [_ellipse(0.78, -0.32, 0.22, 0.22)])]


def _fish() -> List[Tuple[str, Polygons]]:
    rx, ry = 0.7, 0.32
    tail = _poly(_on_ellipse(rx, ry, 200), (-1.05, -0.4), (-0.93, 0), (-1.05, 0.4),
                 _on_ellipse(rx, ry, 160))
    dorsal = _poly(_on_ellipse(rx, ry, 250), _on_ellipse(rx, ry, 290), (-0.35, -0.66))
    pelvic = _poly(_on_ellipse(rx, ry, 70), _on_ellipse(rx, ry, 100), (-0.15, 0.55))
    return [('tail', [tail]), ('fin', [dorsal, pelvic]), ('body', [_ellipse(0, 0, rx, ry)])]


def _bird() -> List[Tuple[str, Polygons]]:
    rx, ry = 0.6, 0.35
    tail = _poly(_on_ellipse(rx, ry, 195), (-1.0, -0.05), (-0.98, 0.3), _on_ellipse(rx, ry, 165))
    beak = _poly((0.768, -0.398), (0.98, -0.33), (0.768, -0.262))  # based on the head's edge
    wing = _poly((-0.4, 0.0), (-0.1, -0.17), (0.3, -0.12), (0.15, 0.08), (-0.2, 0.12))
    return [('tail', [tail]), ('beak', [beak]), ('body', [_ellipse(0, 0, rx, ry)]),
            ('head', [_ellipse(0.58, -0.33, 0.2, 0.2)]), ('wing', [wing])]


def _car() -> List[Tuple[str, Polygons]]:
    body = _poly((-1.0, 0.3), (-1.0, 0.0), (-0.95, -0.08), (-0.55, -0.1), (-0.35, -0.45), (0.35, -0.45),
                 (0.6, -0.1), (0.95, -0.05), (1.0, 0.05), (1.0, 0.3))
    windows = [_poly((-0.45, -0.13), (-0.31, -0.39), (-0.03, -0.39), (-0.03, -0.13)),
               _poly((0.03, -0.13), (0.03, -0.39), (0.3, -0.39), (0.5, -0.13))]
    wheels = [_ellipse(-0.6, 0.3, 0.2, 0.2), _ellipse(0.6, 0.3, 0.2, 0.2)]
    return [('body', [body]), ('window', windows), ('wheel', wheels)]


def _snake() -> List[Tuple[str, Polygons]]:
    amplitude, wavelength = 0.22, 1.2
    xs = np.linspace(-1.0, 0.72, 24)
    phase = 2 * np.pi * (xs + 1) / wavelength
    centre = np.stack([xs, amplitude * np.sin(phase)], 1)
    slope = amplitude * 2 * np.pi / wavelength * np.cos(phase)
    normal = np.stack([-slope, np.ones_like(xs)], 1) / np.sqrt(1 + slope ** 2)[:, None]
    half_width = 0.11 * np.clip((xs + 1) / 0.6, 0.15, 1)[:, None]  # tapers towards the tail
    body = np.vstack([centre + half_width * normal, (centre - half_width * normal)[::-1]])
    head_y = amplitude * np.sin(2 * np.pi * 1.82 / wavelength)
    return [('body', [body]), ('head', [_ellipse(0.82, head_y, 0.16, 0.12)])]


def _bottle() -> List[Tuple[str, Polygons]]:
    body = _poly((-0.35, 0.95), (-0.35, -0.2), (-0.28, -0.36), (-0.12, -0.5), (0.12, -0.5), (0.28, -0.36),
                 (0.35, -0.2), (0.35, 0.95))
    return [('body', [body]), ('neck', [_rect(-0.12, -0.85, 0.12, -0.5)]),
            ('cap', [_rect(-0.15, -1.0, 0.15, -0.85)]), ('label', [_rect(-0.3, 0.1, 0.3, 0.6)])]


def _house() -> List[Tuple[str, Polygons]]:
    def roof_y(x: float) -> float:
        return -0.75 + 0.65 * x / 0.85

    chimney = _poly((0.35, roof_y(0.35)), (0.35, -0.85), (0.5, -0.85), (0.5, roof_y(0.5)))
    return [('wall', [_rect(-0.65, -0.1, 0.65, 0.75)]),
            ('roof', [_poly((-0.85, -0.1), (0, -0.75), (0.85, -0.1))]), ('chimney', [chimney]),
            ('door', [_rect(-0.12, 0.3, 0.12, 0.75)]),
            ('window', [_rect(-0.5, 0.05, -0.25, 0.3), _rect(0.25, 0.05, 0.5, 0.3)])]


def _airplane() -> List[Tuple[str, Polygons]]:
    rx, ry = 1.0, 0.13

    def edge(x: float, side: int) -> Tuple[float, float]:
        return x, side * ry * np.sqrt(1 - (x / rx) ** 2)

    wings = [_poly(edge(0.25, s), (-0.05, s * 0.95), (-0.3, s * 0.95), edge(-0.15, s)) for s in (-1, 1)]
    tails = [_poly(edge(-0.7, s), (-0.95, s * 0.38), (-1.05, s * 0.38), edge(-0.88, s)) for s in (-1, 1)]
    engines = [_ellipse(-0.05, s * 0.5, 0.09, 0.05) for s in (-1, 1)]
    return [('wing', wings), ('tail', tails), ('body', [_ellipse(0, 0, rx, ry)]), ('engine', engines)]


_TEMPLATES: Tuple[Tuple[str, Template, Tuple[Tuple[str, str], ...]], ...] = (
    ('quadruped', _quadruped, ()),
    ('fish', _fish, ()),
    ('bird', _bird, (('wing', 'body'), )),
    ('car', _car, (('window', 'body'), )),
    ('snake', _snake, ()),
    ('bottle', _bottle, (('label', 'body'), )),
    ('house', _house, (('door', 'wall'), ('window', 'wall'))),
    ('airplane', _airplane, (('engine', 'wing'), )),
)


def _hsv(h: float, s: float, v: float) -> Colour:
    return tuple(255.0 * c for c in colorsys.hsv_to_rgb(h % 1.0, s, v))


def _class_spec(k: int) -> _ClassSpec:
    """Class ``k``: template ``k % 8``; textures, colours and pattern angle change with ``k``.

    Display names repeat after 40 classes (8 templates x 5 main textures); wnids never do.
    """
    template, build, including = _TEMPLATES[k % len(_TEMPLATES)]
    main = (k + k // len(_TEMPLATES)) % len(_TEXTURE_KINDS)
    hue, angle, period = 0.05 + 0.618034 * k, np.deg2rad((37 * k) % 180), 0.2 + 0.02 * (k % 5)
    named = build()
    points = np.vstack([p for _, polys in named for p in polys])
    lo, hi = points.min(0), points.max(0)
    parts = []
    for p, (name, polys) in enumerate(named):
        kind = _TEXTURE_KINDS[(main + 2 * p) % len(_TEXTURE_KINDS)]
        texture = _Texture(kind, _hsv(hue + 0.1 * p, 0.75, 0.95), _hsv(hue + 0.1 * p + 0.45, 0.6, 0.35),
                           period, angle)
        parts.append(_Part(name, tuple(poly - (lo + hi) / 2 for poly in polys), texture))
    return _ClassSpec(k, f'n9{k:07d}', f'{_ADJECTIVES[_TEXTURE_KINDS[main]]} {template}', tuple(parts),
                      including, (float(hi[0] - lo[0]), float(hi[1] - lo[1])))


# -------------------------------------------------------------------------------------------------
# Rendering


def _image_rng(seed: int, class_index: int, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, class_index, _SPLITS[split], index])


def _sample_pose(rng: np.random.Generator, extent: Tuple[float, float],
                 size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Affine map ``x -> A @ x + t`` from the object frame to pixels; the object stays inside."""
    angle = rng.uniform(-0.35, 0.35)
    flip = -1.0 if rng.random() < 0.5 else 1.0
    aspect = rng.uniform(0.9, 1.1)
    target = rng.uniform(0.55, 0.85) * size  # longest side of the object's rotated bounding box
    where = rng.random(2)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rotation @ np.diag([flip * aspect, 1 / aspect])
    w, h = extent
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2 @ linear.T
    scale = target / np.ptp(corners, axis=0).max()
    linear, corners = linear * scale, corners * scale
    lo, span = corners.min(0), np.ptp(corners, axis=0)
    return linear, 1 - lo + where * (size - 2 - span)


def _pixel_grid(size: int) -> np.ndarray:
    """Pixel centres (size, size, 2) as x, y: pixel (i, j) covers [i, i + 1) x [j, j + 1), as in COCO."""
    c = np.arange(size) + 0.5
    return np.stack(np.meshgrid(c, c), -1)


def _texture(texture: _Texture, coords: np.ndarray) -> np.ndarray:
    """The pattern evaluated at ``coords`` (..., 2), as float RGB (..., 3)."""
    along = coords @ np.array([np.cos(texture.angle), np.sin(texture.angle)])
    across = coords @ np.array([-np.sin(texture.angle), np.cos(texture.angle)])
    a, b = along / texture.period, across / texture.period
    if texture.kind == 'stripes':
        w = np.floor(a) % 2
    elif texture.kind == 'checker':
        w = (np.floor(a) + np.floor(b)) % 2
    elif texture.kind == 'dots':
        w = ((a - np.round(a)) ** 2 + (b - np.round(b)) ** 2 < 0.09).astype(float)
    elif texture.kind == 'gradient':
        w = np.clip(0.5 + 0.5 * along, 0, 1)
    else:
        w = np.zeros(a.shape)
    return np.asarray(texture.fg) * (1 - w[..., None]) + np.asarray(texture.bg) * w[..., None]


def _coverage(polygons: Polygons, size: int) -> np.ndarray:
    """Fraction of each pixel covered by the polygons, shape (size, size, 1).

    PIL also fills the sub-pixels that the outline touches, which widens parts by 1/16 pixel at 8x.
    """
    k = _SUPERSAMPLE
    mask = Image.new('L', (size * k, size * k), 0)
    draw = ImageDraw.Draw(mask)
    for poly in polygons:  # sub-pixel a is filled if its centre (a + 0.5) / k is in poly
        draw.polygon([tuple(p) for p in poly * k - 0.5], fill=255)
    return np.asarray(mask.reduce(k), dtype=np.float64)[..., None] / 255


def _paint(canvas: np.ndarray, colour: np.ndarray, polygons: Polygons, hard: bool = False) -> np.ndarray:
    """Blend ``colour`` over the polygons by pixel coverage (``hard``: where it is at least 1/2)."""
    alpha = _coverage(polygons, canvas.shape[0])
    if hard:
        alpha = (alpha >= 0.5).astype(float)
    return canvas * (1 - alpha) + colour * alpha


def _random_colour(rng: np.random.Generator, low: float = 0, high: float = 255) -> Colour:
    return tuple(float(c) for c in rng.uniform(low, high, 3))


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A gradient with low-frequency noise, covered by random textured blobs and lines."""
    coords = _pixel_grid(size) / size * 2 - 1
    gradient = _Texture('gradient', _random_colour(rng, 30, 225), _random_colour(rng, 30, 225), 1.0,
                        rng.uniform(0, 2 * np.pi))
    noise = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
    noise = np.asarray(noise.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64)
    canvas = _texture(gradient, coords) + (noise - 128) / 4
    for _ in range(rng.integers(4, 9)):
        n = rng.integers(3, 9)
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(0.06, 0.2) * size * rng.uniform(0.5, 1, n)
        blob = rng.uniform(0, size, 2) + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        texture = _Texture(_TEXTURE_KINDS[rng.integers(len(_TEXTURE_KINDS))], _random_colour(rng),
                           _random_colour(rng), rng.uniform(0.08, 0.3), rng.uniform(0, np.pi))
        canvas = _paint(canvas, _texture(texture, coords), [blob])
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(2, 6)):
        draw.line([tuple(rng.uniform(0, size, 2)), tuple(rng.uniform(0, size, 2))],
                  fill=tuple(int(c) for c in rng.integers(0, 256, 3)), width=int(rng.integers(1, 4)))
    return np.asarray(image, dtype=np.float64)


def _render(spec: _ClassSpec, rng: np.random.Generator, size: int,
            solid: bool = False) -> Tuple[np.ndarray, List[Tuple[int, Polygons]]]:
    """Draw one image of ``spec``: uint8 RGB pixels and (category id, pixel polygons) per part.

    ``solid=True`` paints part id ``i`` in ``_SOLID_PALETTE[i - 1]`` on black where it covers at least
    half a pixel, without clutter, jitter or noise, with the same polygons as ``solid=False`` for the
    same ``rng`` state: the tests read the part map back from the pixels.
    """
    linear, shift = _sample_pose(rng, spec.extent, size)
    canvas = np.zeros((size, size, 3)) if solid else _background(rng, size)
    object_coords = (_pixel_grid(size) - shift) @ np.linalg.inv(linear).T
    parts = []
    for category_id, part in enumerate(spec.parts, 1):
        polygons = [np.round(poly @ linear.T + shift, 2) for poly in part.polygons]
        if solid:
            colour = np.asarray(_SOLID_PALETTE[category_id - 1], dtype=np.float64)
        else:
            colour = _texture(part.texture, object_coords)
        canvas = _paint(canvas, colour, polygons, hard=solid)
        parts.append((category_id, polygons))
    if not solid:
        gain = rng.uniform(0.8, 1.2) * rng.uniform(0.92, 1.08, 3)
        canvas = canvas * gain + rng.normal(0, 3, canvas.shape)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8), parts


# -------------------------------------------------------------------------------------------------
# COCO annotations and defects


def _shoelace(flat: List[float]) -> float:
    x, y = np.asarray(flat[0::2]), np.asarray(flat[1::2])
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _coco_annotation(category_id: int, segmentation: List[List[float]], area: Optional[float] = None) -> dict:
    """COCO annotation without ``id``/``image_id``; ``area`` defaults to the polygons' area."""
    xs = [x for flat in segmentation for x in flat[0::2]]
    ys = [y for flat in segmentation for y in flat[1::2]]
    if area is None:
        area = sum(_shoelace(flat) for flat in segmentation if len(flat) >= 6)
    bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    return {'category_id': category_id, 'segmentation': segmentation, 'area': round(area, 2),
            'bbox': [round(v, 2) for v in bbox], 'iscrowd': 0}


def _add_annotation_defect(defect: str, annotations: List[dict]) -> None:
    """Plant an annotation-level defect (the others concern files) in one image's annotations."""
    first = annotations[0]
    polygon = first['segmentation'][0]
    if defect == 'short_polygon':
        first['segmentation'].append(polygon[:4])
    elif defect == 'short_only_polygon':
        annotations.append(_coco_annotation(first['category_id'], [polygon[:4]]))
    elif defect == 'zero_area':  # integer points inside the first part's box, exactly on one line
        x, y, w, h = first['bbox']
        x0, y0, dx, dy = int(np.ceil(x)), int(np.ceil(y)), int(w // 2), int(h // 2)
        line = [float(v) for t in range(3) for v in (x0 + t * dx, y0 + t * dy)]
        annotations.append(_coco_annotation(first['category_id'], [line], area=0.0))


# -------------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class _Run:
    """What every image of one generation run shares."""
    seed: int
    size: int
    tick: Callable[[], None]

    def render(self, spec: _ClassSpec, split: str,
               index: int) -> Tuple[np.ndarray, List[Tuple[int, Polygons]]]:
        return _render(spec, _image_rng(self.seed, spec.index, split, index), self.size)


def _write_jpeg(path: str, pixels: np.ndarray, grayscale: bool = False) -> None:
    image = Image.fromarray(pixels)
    with atomic_write(path) as f:
        (image.convert('L') if grayscale else image).save(f, format='JPEG', quality=90)


def _write_json(path: str, obj: object) -> None:
    atomic_write_text(path, json.dumps(obj, sort_keys=True) + '\n')


def _write_annotated_class(run: _Run, spec: _ClassSpec, count: int, train_dir: str,
                           defect_at: Dict[Tuple[int, int], str]) -> dict:
    """Draw and write the annotated images of one class; return its COCO dict."""
    images, annotations = [], []
    for i in range(count):
        file_name = f'{spec.wnid}_{i}.JPEG'
        pixels, parts = run.render(spec, 'train', i)
        anns = [_coco_annotation(cid, [poly.ravel().tolist() for poly in polys]) for cid, polys in parts]
        defect = defect_at.get((spec.index, i))
        if defect:
            _add_annotation_defect(defect, anns)
        if defect != 'missing_file':
            _write_jpeg(osp.join(train_dir, spec.wnid, file_name), pixels, grayscale=defect == 'grayscale')
        images.append({'id': i + 1, 'file_name': f'{spec.wnid}/{file_name}', 'width': run.size, 'height': run.size})
        for ann in anns:
            annotations.append({**ann, 'id': len(annotations) + 1, 'image_id': i + 1})
        run.tick()
    categories = [{'id': cid, 'name': part.name, 'supercategory': spec.wnid}
                  for cid, part in enumerate(spec.parts, 1)]
    return {'images': images, 'annotations': annotations, 'categories': categories}


def _write_plain_images(run: _Run, spec: _ClassSpec, split: str, count: int, folder: str) -> List[str]:
    """Draw and write unannotated images (unlabeled pool or val) of one class; return their file names."""
    names = []
    for i in range(count):
        name = f'{spec.wnid}_val_{i}.JPEG' if split == 'val' else f'{spec.wnid}_{UNLABELED_OFFSET + i}.JPEG'
        _write_jpeg(osp.join(folder, spec.wnid, name), run.render(spec, split, i)[0])
        names.append(name)
        run.tick()
    return names


def _check_args(num_classes: int, counts: Sequence[int], image_size: int, seed: int, defects: bool) -> None:
    if num_classes < 1 or image_size < 32 or seed < 0 or min(counts) < 0:
        raise ValueError('need num_classes >= 1, image_size >= 32, seed >= 0 and non-negative counts')
    if counts[0] >= UNLABELED_OFFSET:
        raise ValueError(f'images_per_class must be below {UNLABELED_OFFSET} (first unlabeled file number)')
    if defects and num_classes * counts[0] < len(DEFECTS):
        raise ValueError(f'defects=True needs num_classes * images_per_class >= {len(DEFECTS)}')


def _prepare_out_dir(out_dir: str, arguments: dict) -> None:
    """Remove a previous synthetic output (known by its marker) and write the new marker."""
    existing = [osp.join(out_dir, name) for name in _OUTPUTS if osp.lexists(osp.join(out_dir, name))]
    if existing and not osp.isfile(osp.join(out_dir, MARKER)):
        raise FileExistsError(f'{existing[0]} exists and {osp.join(out_dir, MARKER)} does not, so it was not '
                              'written by make_synthetic_pinpp; remove it or choose another directory')
    for path in existing:
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    _write_json(osp.join(out_dir, MARKER), arguments)


def _no_progress() -> None:
    pass


def make_synthetic_pinpp(out_dir: str, num_classes: int = 6, images_per_class: int = 24,
                         unlabeled_per_class: int = 8, val_per_class: int = 8, image_size: int = 96,
                         seed: int = 0, defects: bool = True, progress: bool = False) -> dict:
    """Write a synthetic PIN++ release and its IN-1K-style image tree under ``out_dir``.

    Args:
        out_dir: output folder; a previous synthetic output there is replaced (see the module docstring).
        num_classes: object classes (wnids ``n90000000``, ``n90000001``, ...).
        images_per_class: annotated images per class (in the json and ``imagenet/train``).
        unlabeled_per_class: unannotated ``imagenet/train`` images per class, listed in ``unlabeled.txt``.
        val_per_class: ``imagenet/val`` images per class.
        image_size: side of the square RGB images.
        seed: base seed; each image's generator is seeded by (seed, class, split, index).
        defects: plant the release defects listed in the module docstring.
        progress: show an mmengine progress bar while writing images.

    Returns:
        ``wnids``, ``names`` ({wnid: display name}), ``counts``, ``paths`` and ``defects``
        (``[{'defect', 'wnid', 'file_name'}]`` in :data:`DEFECTS` order). ``unlabeled.txt`` is
        written last, so its presence means the run completed.
    """
    counts = (images_per_class, unlabeled_per_class, val_per_class)
    _check_args(num_classes, counts, image_size, seed, defects)
    _prepare_out_dir(out_dir, dict(num_classes=num_classes, images_per_class=images_per_class,
                                   unlabeled_per_class=unlabeled_per_class, val_per_class=val_per_class,
                                   image_size=image_size, seed=seed, defects=defects))
    specs = [_class_spec(k) for k in range(num_classes)]
    defect_at = {(i % num_classes, i // num_classes): name for i, name in enumerate(DEFECTS) if defects}
    paths = {'imagenet_train': osp.join(out_dir, 'imagenet', 'train'),
             'imagenet_val': osp.join(out_dir, 'imagenet', 'val'),
             'pinpp': osp.join(out_dir, 'pinpp'), 'unlabeled_list': osp.join(out_dir, 'unlabeled.txt')}
    run = _Run(seed, image_size, ProgressBar(num_classes * sum(counts)).update if progress else _no_progress)

    cocos, unlabeled, train_dir = {}, [], paths['imagenet_train']
    for spec in specs:
        cocos[spec.wnid] = _write_annotated_class(run, spec, images_per_class, train_dir, defect_at)
        names = _write_plain_images(run, spec, 'unlabeled', unlabeled_per_class, train_dir)
        unlabeled += [f'{spec.wnid}/{name}' for name in names]
        _write_plain_images(run, spec, 'val', val_per_class, paths['imagenet_val'])

    found = [{'defect': name, 'wnid': specs[k].wnid, 'file_name': f'{specs[k].wnid}_{i}.JPEG'}
             for (k, i), name in defect_at.items()]
    discarded = [{'file_name': f'{d["wnid"]}/{d["file_name"]}'} for d in found if d['defect'] == 'discarded']
    for spec in specs:
        _write_json(osp.join(paths['pinpp'], 'json', f'{spec.wnid}.json'), cocos[spec.wnid])
        atomic_write_text(osp.join(paths['pinpp'], 'including', f'{spec.wnid}.txt'),
                          '\r\n'.join(f'{part}:{container}' for part, container in spec.including))
    _write_json(osp.join(paths['pinpp'], 'category_name.json'),
                [{'file_name': f'{s.wnid}.json', 'object_name': s.name, 'part_names': [p.name for p in s.parts]}
                 for s in specs])
    _write_json(osp.join(paths['pinpp'], 'discarded_data.json'), discarded)
    atomic_write_text(paths['unlabeled_list'], ''.join(f'{line}\n' for line in unlabeled))
    return {
        'wnids': [s.wnid for s in specs],
        'names': {s.wnid: s.name for s in specs},
        'counts': {'classes': num_classes, 'annotated': num_classes * images_per_class,
                   'unlabeled': len(unlabeled), 'val': num_classes * val_per_class,
                   'annotations': sum(len(c['annotations']) for c in cocos.values()),
                   'part_categories': sum(len(s.parts) for s in specs)},
        'paths': paths,
        'defects': found,
    }
