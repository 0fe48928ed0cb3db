"""Reader of the PIN++ release: every assumption about the released files lives here.

What public evidence says about the release (DESIGN §2.1; the files themselves cannot be downloaded
where mmpart is tested), and what this reader accepts::

    <release>/json/<wnid>.json      COCO, one file per object class. Image ``file_name`` with or without
                                    the wnid folder ("n01667114/n01667114_11717.JPEG"); segmentations as
                                    polygons or RLE (compressed or not); category ids in any numbering
                                    (mapped through the file's own ``categories``).
    <release>/category_name.json    per json file: its file name, part names and object name. The keys
                                    are not public: records (a list, or a dict keyed by file / wnid) are
                                    read by the names their keys carry (file/json/wnid, object/class, part),
                                    else by the shape of their values; ``{wnid: object name}`` also works.
    <release>/including/<wnid>.txt  lines ``<part>:<container part>`` (CRLF or LF, final newline or not);
                                    names are matched to the categories ignoring case and spacing.
    <release>/discarded_data.json   images excluded for low quality: a list of file names, a list of
                                    records with ``file_name`` (with or without folder), or
                                    ``{wnid: [file names]}``. The dataset card says these images are
                                    already absent from ``json/``, so the filter may remove nothing.
    <release>/README.md, demo/      ignored

Part names and ids come from each class json's ``categories`` (sorted by id); ``category_name.json``
only supplies object names and, where its part names agree with the json, their spelling. Any other
shape of the two optional files is a :class:`ReleaseFormatError` naming the file and quoting its first
entry (the converter can be told to proceed without them). If the real release differs, change this file.
"""
import json
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

# Part counts per class in the PIN++ authors' training code (which sums to 3,310 parts over the
# 1000 classes; the paper says 3,308): a spot check of what the converter reads.
AUTHORS_CODE_PART_COUNTS = dict(
    n01440764=4, n01443537=4, n01514668=5, n01531178=5, n01644373=4, n01729322=3, n01768244=1, n01871265=7,
    n02085782=4, n02690373=5, n02701002=7, n03133878=9, n03345487=8, n04461696=8, n07248320=1)
PAPER_NUM_PARTS = 3308
AUTHORS_CODE_NUM_PARTS = 3310

_WNID = re.compile(r'n\d{8}')
_QUOTE_CHARS = 300


class ReleaseFormatError(ValueError):
    """A release file is missing or malformed; the message names the file."""


@dataclass
class ReleaseAnnotation:
    """One annotated part instance: its category id in the class json and its raw segmentation."""
    category_id: int
    segmentation: object  # polygons (list) or RLE (dict), checked by the converter (its area: the rasterised mask's)


@dataclass
class ReleaseImage:
    """One annotated image of a class: bare IN-1K ``file_name`` and the folder the json gave, if any."""
    file_name: str
    width: int
    height: int
    folder: Optional[str] = None
    annotations: List[ReleaseAnnotation] = field(default_factory=list)


@dataclass
class ReleaseClass:
    """Everything the release says about one object class."""
    wnid: str
    parts: List[Tuple[int, str]]  # (category id in the class json, part name), sorted by id
    images: List[ReleaseImage]
    including: List[Tuple[str, str]]  # (part, container part), as category names of the json
    unmatched_including: List[str]  # names in including/<wnid>.txt that match no category
    orphan_annotations: int  # annotations whose image_id is not among the images
    source_file: str


@dataclass(frozen=True)
class ClassNames:
    """What ``category_name.json`` says about one class."""
    object_name: Optional[str]
    part_names: Optional[Tuple[str, ...]]


def normalize_name(name: str) -> str:
    """A part name compared ignoring case, spacing, underscores and hyphens (``Left_Wing`` ~ ``left wing``)."""
    return ' '.join(re.split(r'[\s_\-]+', name.strip().casefold())).strip()


def quote(entry: object) -> str:
    """An entry of a json file, shortened for an error message."""
    text = json.dumps(entry, ensure_ascii=False)
    return text if len(text) <= _QUOTE_CHARS else text[:_QUOTE_CHARS] + '...'


def _read_json(path: str):
    try:
        with open(path, encoding='utf-8-sig') as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise ReleaseFormatError(f'{path}: not valid JSON ({err})') from None


def _first_entry(data) -> object:
    """What an error quotes of content that is not a list: a dict's first item (not empty: {} is a valid empty
    mapping), else the value."""
    return next(iter(data.items())) if isinstance(data, dict) else data


def _wnid_in(text: object) -> Optional[str]:
    """The wnid a file name / wnid string names (``n01440764``, ``json/n01440764.json``), else None."""
    if not isinstance(text, str):
        return None
    stem = osp.splitext(osp.basename(text.replace('\\', '/').rstrip('/')))[0]
    return stem if _WNID.fullmatch(stem) else None


# ------------------------------------------------------------------------------------ category_name.json


def _part_list(value) -> Optional[Tuple[str, ...]]:
    """Part names from a list of names, a list of ``{"name": ...}`` records or ``{id: name}``."""
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        try:
            return tuple(v for _, v in sorted(value.items(), key=lambda kv: int(kv[0])))
        except ValueError:
            return None
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return tuple(value)
        if all(isinstance(v, dict) and isinstance(v.get('name'), str) for v in value):
            return tuple(v['name'] for v in value)
    return None


def _parse_record(record, key_wnid: Optional[str] = None) -> Optional[Tuple[str, ClassNames]]:
    """``(wnid, names)`` of one record, or None if it does not look like one."""
    if isinstance(record, str):  # {wnid: object name}
        return (key_wnid, ClassNames(record, None)) if key_wnid else None
    if isinstance(record, (list, tuple)):  # positional: told apart by the values' shapes
        items = list(enumerate(record))
    elif isinstance(record, dict):
        items = list(record.items())
    else:
        return None
    wnid, obj, parts = key_wnid, None, None
    used = set()
    if isinstance(record, dict):  # first by the names the keys carry
        for key, value in items:
            name = str(key).casefold()
            if 'part' in name and _part_list(value) is not None:
                parts = _part_list(value)
            elif any(s in name for s in ('file', 'json', 'wnid', 'synset')) and _wnid_in(value):
                wnid = wnid or _wnid_in(value)
            elif (any(s in name for s in ('object', 'class', 'categ')) or name == 'name') and isinstance(value, str):
                obj = value
            else:
                continue
            used.add(key)
    for key, value in items:  # then by the values' shapes, for what the key names did not give
        if key in used:
            continue
        if wnid is None and _wnid_in(value):
            wnid = _wnid_in(value)
        elif parts is None and isinstance(value, list) and _part_list(value) is not None:
            parts = _part_list(value)
        elif obj is None and isinstance(value, str) and not _wnid_in(value):
            obj = value
    if wnid is None or (obj is None and parts is None):
        return None
    return wnid, ClassNames(obj, parts)


def parse_category_names(data, path: str) -> Dict[str, ClassNames]:
    """``{wnid: ClassNames}`` from the content of ``category_name.json`` (see the module docstring)."""
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list) \
            and not _wnid_in(next(iter(data))):
        data = next(iter(data.values()))  # {"categories": [records]}
    if isinstance(data, list):
        records = [(r, None, r) for r in data]
    elif isinstance(data, dict):
        records = [({k: v}, _wnid_in(k), v) for k, v in data.items()]
    else:
        records = None
    if records is None:
        raise ReleaseFormatError(f'{path}: expected a list or a dict of per-class records, got '
                                 f'{type(data).__name__} {quote(data)}. Pass --no-category-names to convert '
                                 'without this file.')
    names: Dict[str, ClassNames] = {}
    for entry, key_wnid, record in records:
        parsed = _parse_record(record, key_wnid)
        if parsed is None:
            raise ReleaseFormatError(
                f'{path}: cannot read per-class names from the entry {quote(entry)}; expected records with a '
                'file name or wnid, an object name and/or part names (a list, or a dict keyed by file / wnid). '
                'Pass --no-category-names to convert without this file (names then come from json/).')
        names[parsed[0]] = parsed[1]
    return names


# ------------------------------------------------------------------------------------ discarded_data.json


def _discarded_name(entry) -> Optional[str]:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        if isinstance(entry.get('file_name'), str):
            return entry['file_name']
        keys = [k for k, v in entry.items() if isinstance(v, str) and any(s in str(k).casefold()
                                                                            for s in ('file', 'path', 'image'))]
        return entry[keys[0]] if len(keys) == 1 else None
    return None


def parse_discarded(data, path: str) -> Set[str]:
    """Bare file names from the content of ``discarded_data.json`` (see the module docstring)."""
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        entries: Iterable = [e for v in data.values() for e in v]
    elif isinstance(data, list):
        entries = data
    else:
        raise ReleaseFormatError(f'{path}: expected a list of file names, a list of records with "file_name" or '
                                 f'{{wnid: [file names]}}; the first entry is {quote(_first_entry(data))}. '
                                 'Pass --no-discarded to convert without this file.')
    names = set()
    for entry in entries:
        name = _discarded_name(entry)
        if not name:
            raise ReleaseFormatError(f'{path}: cannot read a file name from the entry {quote(entry)}; expected a '
                                     'file name or a record with "file_name". Pass --no-discarded to convert '
                                     'without this file.')
        names.add(osp.basename(name.replace('\\', '/')))
    return names


# -------------------------------------------------------------------------------------------- the reader


def match_including(pairs: List[Tuple[str, str]], part_names: Iterable[str]) -> Tuple[List[Tuple[str, str]],
                                                                                      List[str]]:
    """Containment pairs as category names of the json, and the names that match no category."""
    by_norm = {normalize_name(n): n for n in part_names}
    matched, unmatched = [], []
    for part, container in pairs:
        found = [by_norm.get(normalize_name(n)) for n in (part, container)]
        unmatched += [n for n, f in zip((part, container), found) if f is None and n not in unmatched]
        if None not in found:
            matched.append((found[0], found[1]))
    return matched, unmatched


class PINPPRelease:
    """Read access to an unpacked PIN++ release.

    Args:
        root: the release folder (holds ``json/``).
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.json_dir = osp.join(root, 'json')
        if not osp.isdir(self.json_dir):
            raise ReleaseFormatError(f'{self.json_dir}: missing; is {root} a PIN++ release (json/, '
                                     'category_name.json, including/, discarded_data.json)?')
        self.category_name_file = osp.join(root, 'category_name.json')
        self.discarded_file = osp.join(root, 'discarded_data.json')

    def wnids(self) -> List[str]:
        """The object classes of the release, sorted (this order defines the global part ids)."""
        return sorted(n[:-len('.json')] for n in os.listdir(self.json_dir)
                      if n.endswith('.json') and not n.startswith('._'))

    def class_json_path(self, wnid: str) -> str:
        """Path of the per-class annotation file."""
        return osp.join(self.json_dir, f'{wnid}.json')

    def including_path(self, wnid: str) -> str:
        """Path of the per-class containment file (may not exist)."""
        return osp.join(self.root, 'including', f'{wnid}.txt')

    def category_names(self) -> Dict[str, ClassNames]:
        """``{wnid: ClassNames}`` from ``category_name.json`` (empty if the file is absent)."""
        if not osp.isfile(self.category_name_file):
            return {}
        return parse_category_names(_read_json(self.category_name_file), self.category_name_file)

    def discarded(self) -> Set[str]:
        """Bare file names of the images dropped for low quality (empty if the file is absent)."""
        if not osp.isfile(self.discarded_file):
            return set()
        return parse_discarded(_read_json(self.discarded_file), self.discarded_file)

    def including(self, wnid: str) -> List[Tuple[str, str]]:
        """Containment pairs ``(part, container)`` of a class as written in ``including/<wnid>.txt``."""
        path = self.including_path(wnid)
        if not osp.isfile(path):
            return []
        pairs = []
        with open(path, encoding='utf-8-sig', newline=None) as f:  # universal newlines: CRLF or LF
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                if line.count(':') != 1:
                    raise ReleaseFormatError(f'{path}:{lineno}: expected "<part>:<container>", got {line!r}')
                part, container = (s.strip() for s in line.split(':'))
                pairs.append((part, container))
        return pairs

    def load_class(self, wnid: str) -> ReleaseClass:
        """Parse ``json/<wnid>.json`` into images with their part annotations."""
        path = self.class_json_path(wnid)
        data = _read_json(path)
        if not isinstance(data, dict):
            raise ReleaseFormatError(f'{path}: expected a COCO object, got {type(data).__name__}')
        for key in ('images', 'annotations', 'categories'):
            if not isinstance(data.get(key), list):
                raise ReleaseFormatError(f'{path}: missing COCO list "{key}"')
        parts = self._parts(data['categories'], path)
        images: Dict[object, ReleaseImage] = {}
        for entry in data['images']:
            try:
                rel = str(entry['file_name']).replace('\\', '/').strip('/').split('/')
                images[entry['id']] = ReleaseImage(rel[-1], int(entry['width']), int(entry['height']),
                                                   rel[-2] if len(rel) > 1 else None)
            except (KeyError, TypeError, ValueError) as err:
                raise ReleaseFormatError(f'{path}: malformed image entry {quote(entry)} '
                                         f'({type(err).__name__}: {err})') from None
        orphans = 0
        for ann in data['annotations']:
            try:
                image = images.get(ann['image_id'])
                record = ReleaseAnnotation(int(ann['category_id']), ann.get('segmentation'))
            except (KeyError, TypeError, ValueError) as err:
                raise ReleaseFormatError(f'{path}: malformed annotation {quote(ann)} '
                                         f'({type(err).__name__}: {err})') from None
            if image is None:
                orphans += 1
            else:
                image.annotations.append(record)
        including, unmatched = match_including(self.including(wnid), [name for _, name in parts])
        return ReleaseClass(wnid, parts, sorted(images.values(), key=lambda i: i.file_name), including, unmatched,
                            orphans, path)

    @staticmethod
    def _parts(categories: list, path: str) -> List[Tuple[int, str]]:
        parts: Dict[int, str] = {}
        for cat in categories:
            try:
                cid, name = int(cat['id']), str(cat['name'])
            except (KeyError, TypeError, ValueError):
                raise ReleaseFormatError(f'{path}: malformed category {quote(cat)}') from None
            if cid in parts:
                raise ReleaseFormatError(f'{path}: category id {cid} appears twice ({quote(cat)})')
            parts[cid] = name
        return sorted(parts.items())
