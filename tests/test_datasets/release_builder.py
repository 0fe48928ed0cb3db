"""Write tiny PIN++ releases with exactly the polygons a test needs, in the shapes of the real release.

Real shapes (DESIGN §2.1): image ``file_name`` with the wnid folder, image ids from 1, ``including/``
with CRLF line endings (the last line without one), ``category_name.json`` as per-file records,
``discarded_data.json`` as a list of records with ``file_name``.
"""
import json
import os

import numpy as np
from PIL import Image


def rect(x0, y0, x1, y1):
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def category_name_records(classes):
    """``category_name.json`` as per-file records: file name, object name, part names."""
    return [dict(file_name=f'{wnid}.json', object_name=spec.get('name', f'object {wnid}'),
                 part_names=[name for _, name in sorted(spec['parts'])]) for wnid, spec in sorted(classes.items())]


def write_release(root, classes, discarded=(), gray=(), folder_in_file_name=True):
    """classes: {wnid: dict(parts=[(id, name)], including=[...], images={file: (w, h, [(cat, segmentation)])})}.

    Images whose file name starts with ``missing`` are listed but not written; ``discarded`` holds
    ``<wnid>/<file>`` names, written as records with ``file_name``.
    """
    for wnid, spec in classes.items():
        images, annotations = [], []
        for image_id, (file_name, (w, h, anns)) in enumerate(sorted(spec['images'].items()), 1):
            images.append(dict(id=image_id, file_name=f'{wnid}/{file_name}' if folder_in_file_name else file_name,
                               width=w, height=h))
            for cat, segmentation in anns:
                annotations.append(dict(id=len(annotations) + 1, image_id=image_id, category_id=cat,
                                        segmentation=segmentation, area=1.0, bbox=[0, 0, 1, 1], iscrowd=0))
            if file_name.startswith('missing'):
                continue
            os.makedirs(root / 'imagenet' / wnid, exist_ok=True)
            pixels = np.random.RandomState(image_id).randint(0, 255, (h, w, 3), np.uint8)
            img = Image.fromarray(pixels)
            (img.convert('L') if file_name in gray else img).save(root / 'imagenet' / wnid / file_name)
        categories = [dict(id=i, name=n, supercategory=wnid) for i, n in spec['parts']]
        (root / 'release' / 'json').mkdir(parents=True, exist_ok=True)
        (root / 'release' / 'json' / f'{wnid}.json').write_text(
            json.dumps(dict(images=images, annotations=annotations, categories=categories)))
        if spec.get('including'):
            (root / 'release' / 'including').mkdir(exist_ok=True)
            (root / 'release' / 'including' / f'{wnid}.txt').write_bytes('\r\n'.join(spec['including']).encode())
    write_json(root / 'release' / 'discarded_data.json', [dict(file_name=name) for name in discarded])
    write_json(root / 'release' / 'category_name.json', category_name_records(classes))


def write_json(path, obj):
    path.write_text(json.dumps(obj))
