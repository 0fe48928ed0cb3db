"""One colour per part id, the same in every picture, run and view (segmentation maps, COCO instances)."""
import colorsys
from typing import List, Tuple

__all__ = ['BACKGROUND_COLOUR', 'part_colour', 'part_palette']

RGB = Tuple[int, int, int]
BACKGROUND_COLOUR: RGB = (0, 0, 0)
_GOLDEN = 0.6180339887498949


def part_colour(part_id: int) -> RGB:
    """The colour of global part id ``part_id`` (0 = background: black).

    A pure function of the id — hue stepped by the golden ratio (neighbouring ids, which are parts of the
    same object, get distant hues), saturation and value cycled so that ids far apart rarely collide —
    so a part keeps its colour across images, runs and datasets sharing the id table.
    """
    if part_id == 0:
        return BACKGROUND_COLOUR
    hue = (part_id * _GOLDEN) % 1.0
    saturation = (0.95, 0.65, 0.8)[part_id % 3]
    value = (1.0, 0.8, 0.9, 0.7)[(part_id // 3) % 4]
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(hue, saturation, value))


def part_palette(num_classes: int, first_id: int = 0) -> List[RGB]:
    """Colours of ``num_classes`` consecutive classes whose first has part id ``first_id`` (0 for
    segmentation classes, where class index = part id; 1 for COCO views, where index 0 is part 1)."""
    return [part_colour(first_id + i) for i in range(num_classes)]
