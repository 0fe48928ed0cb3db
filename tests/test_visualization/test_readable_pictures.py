"""Readable part pictures: small images upscaled (masks by pixel repetition), names in a legend beside the
image and never on it, one colour per part id in every picture and view."""
import numpy as np
import pytest

from mmpart.visualization import MIN_SIDE, PartLayer, part_colour, part_figure, upscale_factor

GREY = 100
ALPHA = 0.5
CLASSES = ['background', 'n0:head', 'n0:tail', 'n1:wheel']


def grey_image(size: int = 64) -> np.ndarray:
    return np.full((size, size, 3), GREY, np.uint8)


def square_map(part_id: int, size: int = 64) -> np.ndarray:
    part_map = np.zeros((size, size), np.int64)
    part_map[10:20, 30:40] = part_id
    return part_map


def image_panel(picture: np.ndarray, size: int = 64) -> np.ndarray:
    """The upscaled image of the first panel (below its caption band)."""
    side = size * upscale_factor(size, size)
    return picture[picture.shape[0] - side:, :side]


def blended(part_id: int) -> np.ndarray:
    return (1 - ALPHA) * GREY + ALPHA * np.array(part_colour(part_id))


def test_small_images_are_upscaled_with_sharp_masks_and_nothing_written_on_them():
    picture = part_figure(grey_image(), [('ground truth', PartLayer(square_map(3)))], CLASSES, alpha=ALPHA)
    factor = upscale_factor(64, 64)
    assert factor * 64 >= MIN_SIDE and factor == 6
    panel = image_panel(picture).astype(int)
    inside = np.zeros(panel.shape[:2], bool)
    inside[10 * factor:20 * factor, 30 * factor:40 * factor] = True
    np.testing.assert_allclose(panel[inside], np.broadcast_to(blended(3), panel[inside].shape), atol=1.5)
    assert (panel[~inside] == GREY).all()  # no part name (or anything else) drawn over the image
    assert picture.shape[1] > panel.shape[1] + 40  # the legend is beside it
    legend = picture[:, panel.shape[1] + 6:]
    assert (np.abs(legend.astype(int) - part_colour(3)).sum(-1) == 0).sum() > 50  # with the part's swatch
    assert not (np.abs(legend.astype(int) - part_colour(1)).sum(-1) == 0).any()  # and only parts drawn


def test_a_part_has_one_colour_in_every_picture_and_view():
    seg = image_panel(part_figure(grey_image(), [('seg', PartLayer(square_map(2)))], CLASSES, alpha=ALPHA))
    other = square_map(2)
    other[40:50, 40:50] = 1
    again = image_panel(part_figure(grey_image(), [('other image', PartLayer(other))], CLASSES, alpha=ALPHA))
    # COCO views: class index 1 is part id 2 (index 0 = part 1)
    masks = square_map(1)[None] > 0
    det = image_panel(part_figure(grey_image(), [('det', PartLayer(labels=np.array([1]), masks=masks))],
                                  CLASSES[1:], colour_offset=1, alpha=ALPHA))
    pixel = (15 * 6, 35 * 6)
    assert tuple(seg[pixel]) == tuple(again[pixel]) == tuple(det[pixel])
    np.testing.assert_allclose(seg[pixel], blended(2), atol=1.5)


def test_colours_are_distinct_within_and_across_objects():
    colours = np.array([part_colour(i) for i in range(1, 3310)], dtype=int)  # PIN++: 3,309 part ids
    assert len({tuple(c) for c in colours}) == len(colours)
    # parts of one object have consecutive ids (at most 9 per class): clearly different colours
    for start in range(len(colours) - 8):
        window = colours[start:start + 9]
        distances = np.abs(window[:, None] - window[None]).sum(-1)[np.triu_indices(9, 1)]
        assert distances.min() > 60
    assert part_colour(0) == (0, 0, 0)


@pytest.mark.parametrize('size, factor', [(64, 6), (96, 4), (384, 1), (1000, 1)])
def test_upscale_factor(size, factor):
    assert upscale_factor(size, 2 * size) == factor
