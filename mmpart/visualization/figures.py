"""Building blocks of readable pictures: upscaling small images, a legend of coloured names beside the
image (instead of text over it), captions, side-by-side panels. Text is drawn by mmengine's ``Visualizer``."""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.visualization import Visualizer

from mmpart.utils import atomic_write_bytes

__all__ = ['MIN_SIDE', 'upscale_factor', 'upscale_image', 'upscale_mask', 'legend_panel', 'with_caption', 'hstack',
           'write_png']

# small images (the synthetic set's 64-96 px) are drawn at least this large
MIN_SIDE = 384
FONT_SIZE = 11  # points; mmengine's Visualizer draws at its figure's dpi
RGB = Tuple[int, int, int]


def upscale_factor(height: int, width: int, min_side: int = MIN_SIDE) -> int:
    """Integer factor that brings the shorter side to at least ``min_side`` (1 if it already is)."""
    return max(1, math.ceil(min_side / max(1, min(height, width))))


def upscale_image(image: np.ndarray, factor: int) -> np.ndarray:
    """A photo ``factor`` times larger (bicubic)."""
    if factor == 1:
        return image
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def upscale_mask(mask: np.ndarray, factor: int) -> np.ndarray:
    """A label map or boolean masks (..., H, W) ``factor`` times larger by pixel repetition (nearest)."""
    if factor == 1:
        return mask
    return np.repeat(np.repeat(mask, factor, axis=-2), factor, axis=-1)


def _canvas_visualizer() -> Tuple[Visualizer, float]:
    """The visualizer that draws text, and the font size in pixels."""
    visualizer = Visualizer.get_instance('mmpart_figures')
    return visualizer, FONT_SIZE * visualizer.dpi / 72


def legend_panel(entries: Sequence[Tuple[str, RGB]], height: int, title: Optional[str] = None) -> np.ndarray:
    """White panel of ``height`` px listing ``(name, colour)`` as a swatch and the name, in as many
    columns as the height needs; RGB uint8."""
    visualizer, font_px = _canvas_visualizer()
    line_height, swatch = int(1.45 * font_px), int(font_px)
    lines = ([(title, None)] if title else []) + list(entries)
    per_column = max(1, (height - 8) // line_height)
    columns = [lines[i:i + per_column] for i in range(0, len(lines), per_column)] or [[]]
    widths = [int(swatch + 20 + 0.62 * font_px * max((len(name) for name, _ in col), default=0)) for col in columns]
    canvas = np.full((height, max(sum(widths), 1), 3), 255, np.uint8)
    visualizer.set_image(canvas)
    x0 = 0
    for col, width in zip(columns, widths):
        for row, (name, colour) in enumerate(col):
            y = 6 + row * line_height
            text_x = x0 + 6
            if colour is not None:
                visualizer.draw_bboxes(np.array([[x0 + 6, y + 2, x0 + 6 + swatch, y + 2 + swatch]]),
                                       edge_colors=[(60, 60, 60)], face_colors=[tuple(colour)], alpha=1.0,
                                       line_widths=1)
                text_x = x0 + swatch + 12
            visualizer.draw_texts(name, np.array([text_x, y + 1]), colors='black', font_sizes=FONT_SIZE,
                                  font_families='DejaVu Sans')
        x0 += width
    return visualizer.get_image()


def with_caption(image: np.ndarray, caption: str) -> np.ndarray:
    """``image`` under a white band with ``caption`` (one or more lines)."""
    visualizer, font_px = _canvas_visualizer()
    line_height = int(1.45 * font_px)
    lines = caption.split('\n')
    band = np.full((8 + line_height * len(lines), image.shape[1], 3), 255, np.uint8)
    visualizer.set_image(band)
    for i, line in enumerate(lines):
        visualizer.draw_texts(line, np.array([4, 4 + i * line_height]), colors='black', font_sizes=FONT_SIZE,
                              font_families='DejaVu Sans')
    return np.concatenate([visualizer.get_image(), image], axis=0)


def hstack(images: Sequence[np.ndarray], gap: int = 6) -> np.ndarray:
    """Images side by side, top-aligned on white, ``gap`` px apart."""
    height = max(image.shape[0] for image in images)
    parts = []
    for i, image in enumerate(images):
        padded = np.full((height, image.shape[1], 3), 255, np.uint8)
        padded[:image.shape[0]] = image
        parts.append(padded)
        if i < len(images) - 1:
            parts.append(np.full((height, gap, 3), 255, np.uint8))
    return np.concatenate(parts, axis=1)


def write_png(path: str, picture: np.ndarray) -> None:
    """Write an RGB picture to ``path`` as PNG, atomically."""
    success, encoded = cv2.imencode('.png', np.ascontiguousarray(picture[..., ::-1]))
    if not success:
        raise RuntimeError(f'{path}: PNG encoding failed')
    atomic_write_bytes(path, encoded.tobytes())
