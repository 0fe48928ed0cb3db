"""PartImageNet metadata: the 40 parts (ids 0..39 in json order), 11 super-categories, palettes.

Constants from the release (see DESIGN §2.2), not recomputed from the data. In the Seg release's PNG
annotations the background value is 40 (``PARTIMAGENET_BACKGROUND``).
"""
from typing import Tuple, Union

# Super-categories 0..10 and how many of the 158 object classes each holds (the PartImageNet README
# says Car (23), which would make 162 classes; 19 is the count that sums to 158).
PARTIMAGENET_SUPERCATEGORIES = (
    'Quadruped', 'Biped', 'Fish', 'Bird', 'Snake', 'Reptile', 'Car', 'Bicycle', 'Boat', 'Aeroplane', 'Bottle')
PARTIMAGENET_SUPERCATEGORY_NUM_CLASSES = dict(
    Quadruped=46, Biped=17, Fish=10, Bird=14, Snake=15, Reptile=20, Car=19, Bicycle=6, Boat=4, Aeroplane=2,
    Bottle=5)

# Part categories in json order (category id == index). "Tier" (sic) is the release's name for tire.
PARTIMAGENET_PARTS = (
    'Quadruped Head', 'Quadruped Body', 'Quadruped Foot', 'Quadruped Tail',
    'Biped Head', 'Biped Body', 'Biped Hand', 'Biped Foot', 'Biped Tail',
    'Fish Head', 'Fish Body', 'Fish Fin', 'Fish Tail',
    'Bird Head', 'Bird Body', 'Bird Wing', 'Bird Foot', 'Bird Tail',
    'Snake Head', 'Snake Body',
    'Reptile Head', 'Reptile Body', 'Reptile Foot', 'Reptile Tail',
    'Car Body', 'Car Tier', 'Car Side Mirror',
    'Bicycle Body', 'Bicycle Head', 'Bicycle Seat', 'Bicycle Tier',
    'Boat Body', 'Boat Sail',
    'Aeroplane Head', 'Aeroplane Body', 'Aeroplane Engine', 'Aeroplane Wing', 'Aeroplane Tail',
    'Bottle Mouth', 'Bottle Body')

# Super-category id of each part id.
PARTIMAGENET_PART_TO_SUPERCATEGORY = (
    0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4,
    5, 5, 5, 5, 6, 6, 6, 7, 7, 7, 7, 8, 8, 9, 9, 9, 9, 9, 10, 10)

PARTIMAGENET_BACKGROUND = 40
PARTIMAGENET_BACKGROUND_NAME = 'Background'

# Whole-object masks of the Seg release (annotations/{split}_whole/): 0..157 are the 158 object classes, 158 the
# background. Which class each value is, the release does not say (an image's wnid is in its file name).
PARTIMAGENET_NUM_OBJECT_CLASSES = 158
PARTIMAGENET_OBJECT_BACKGROUND = 158

PARTIMAGENET_PARTS_PALETTE = (
    (242, 85, 85), (85, 131, 242), (121, 166, 58), (166, 0, 145), (0, 242, 202),
    (242, 131, 0), (85, 58, 166), (63, 166, 58), (242, 85, 137), (0, 152, 242),
    (152, 166, 0), (131, 0, 166), (85, 242, 163), (242, 117, 85), (58, 67, 166),
    (62, 166, 0), (242, 0, 162), (0, 233, 242), (166, 139, 58), (107, 58, 166),
    (85, 242, 111), (242, 0, 31), (0, 70, 166), (118, 166, 0), (242, 85, 242),
    (85, 242, 196), (166, 103, 58), (20, 0, 166), (41, 242, 0), (242, 0, 112),
    (58, 139, 166), (166, 161, 58), (189, 85, 242), (0, 242, 90), (166, 13, 0),
    (0, 35, 166), (164, 242, 85), (242, 85, 210), (58, 166, 156), (166, 103, 0))
# 41 entries: the 40 parts, then black for the background (value 40).
PARTIMAGENET_SEG_PALETTE = PARTIMAGENET_PARTS_PALETTE + ((0, 0, 0),)


def partimagenet_parts_of(supercategory: Union[str, int]) -> Tuple[int, ...]:
    """Part ids (0..39) of one super-category, given by name ('Bird') or id (3)."""
    if isinstance(supercategory, str):
        if supercategory not in PARTIMAGENET_SUPERCATEGORIES:
            raise ValueError(f'unknown PartImageNet super-category {supercategory!r}; '
                             f'expected one of {PARTIMAGENET_SUPERCATEGORIES}')
        supercategory = PARTIMAGENET_SUPERCATEGORIES.index(supercategory)
    if not 0 <= supercategory < len(PARTIMAGENET_SUPERCATEGORIES):
        raise ValueError(f'PartImageNet super-category id {supercategory} is not in 0..10')
    return tuple(i for i, s in enumerate(PARTIMAGENET_PART_TO_SUPERCATEGORY) if s == supercategory)


def partimagenet_supercategory_of(part_id: int) -> str:
    """Name of the super-category a part id (0..39) belongs to."""
    return PARTIMAGENET_SUPERCATEGORIES[PARTIMAGENET_PART_TO_SUPERCATEGORY[part_id]]


__all__ = [
    'PARTIMAGENET_SUPERCATEGORIES', 'PARTIMAGENET_SUPERCATEGORY_NUM_CLASSES', 'PARTIMAGENET_PARTS',
    'PARTIMAGENET_PART_TO_SUPERCATEGORY', 'PARTIMAGENET_BACKGROUND', 'PARTIMAGENET_BACKGROUND_NAME',
    'PARTIMAGENET_PARTS_PALETTE', 'PARTIMAGENET_SEG_PALETTE', 'partimagenet_parts_of',
    'partimagenet_supercategory_of', 'PARTIMAGENET_NUM_OBJECT_CLASSES', 'PARTIMAGENET_OBJECT_BACKGROUND'
]
