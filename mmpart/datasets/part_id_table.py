"""The global PIN++ part id table: the one source of truth for part ids, names and classes.

The converter writes it as ``part_ids.json`` next to the masks; datasets, heads and metrics read it.
Ids: background 0, then the parts of each object class, class by class in wnid order, each class's
parts in the order of their per-class category ids (DESIGN §2.1). The file also records the part
count of every class and the class counts models need (``num_classes``), and
:func:`check_num_classes` stops a dataset whose configured class count disagrees with it.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from mmpart.utils.atomic_io import atomic_write_json

FORMAT = 'mmpart.pinpp.part_ids/v1'
# Masks are uint16 PNGs (PIN++ has 3,308 parts): 255 is a real part id, so the ignore index is 65535.
IGNORE_INDEX = 65535
# What a model's ``num_classes`` counts, by the kind of head (keys of ``num_classes`` in ``part_ids.json``)
CLASS_COUNT_KINDS = dict(
    segmentation='background + parts (semantic part segmentation heads, the MPM part head)',
    parts='parts (instance segmentation without object classes)',
    parts_and_objects='parts + object classes (instance segmentation of the COCO files written with --with-objects)')


@dataclass(frozen=True)
class PartEntry:
    """One global part: its id, object class (wnid), part name and id in the per-class release json."""
    id: int
    wnid: str
    name: str
    source_id: int


class PartIdTable:
    """Global part ids of a set of object classes.

    Args:
        classes: ``(wnid, display name, [(source category id, part name), ...])`` in wnid order.
    """

    def __init__(self, classes: Sequence[Tuple[str, str, Sequence[Tuple[int, str]]]]) -> None:
        self.wnids: List[str] = [wnid for wnid, _, _ in classes]
        if self.wnids != sorted(self.wnids) or len(set(self.wnids)) != len(self.wnids):
            raise ValueError('PartIdTable: classes must be unique and sorted by wnid')
        self.object_names: Dict[str, str] = {wnid: name for wnid, name, _ in classes}
        self.parts: List[PartEntry] = []
        for wnid, _, parts in classes:
            for source_id, name in parts:
                self.parts.append(PartEntry(len(self.parts) + 1, wnid, name, int(source_id)))
        self._by_source = {(p.wnid, p.source_id): p.id for p in self.parts}

    @property
    def num_parts(self) -> int:
        """Number of parts N (ids 1..N)."""
        return len(self.parts)

    def global_id(self, wnid: str, source_id: int) -> int:
        """Global id of a class's per-class category id (``KeyError`` if unknown)."""
        return self._by_source[(wnid, source_id)]

    def part_ids_of(self, wnid: str) -> List[int]:
        """Global ids of one class's parts."""
        return [p.id for p in self.parts if p.wnid == wnid]

    def part_counts(self) -> Dict[str, int]:
        """Number of parts of each object class, in wnid order."""
        counts = {wnid: 0 for wnid in self.wnids}
        for p in self.parts:
            counts[p.wnid] += 1
        return counts

    def num_classes(self, kind: str) -> int:
        """The ``num_classes`` of a head of one kind (a key of :data:`CLASS_COUNT_KINDS`)."""
        if kind not in CLASS_COUNT_KINDS:
            raise ValueError(f'kind must be one of {tuple(CLASS_COUNT_KINDS)}, got {kind!r}')
        return dict(segmentation=self.num_parts + 1, parts=self.num_parts,
                    parts_and_objects=self.num_parts + len(self.wnids))[kind]

    def class_names(self) -> Tuple[str, ...]:
        """Segmentation class names, index = global id: ``background`` then ``<wnid>:<part>``."""
        return ('background', *(f'{p.wnid}:{p.name}' for p in self.parts))

    def to_dict(self) -> dict:
        """The JSON form written by the converter."""
        return dict(
            format=FORMAT, background_id=0, ignore_index=IGNORE_INDEX, num_parts=self.num_parts,
            num_classes={kind: self.num_classes(kind) for kind in CLASS_COUNT_KINDS},
            classes=[dict(wnid=w, name=self.object_names[w], num_parts=len(self.part_ids_of(w)),
                          part_ids=self.part_ids_of(w)) for w in self.wnids],
            parts=[dict(id=p.id, wnid=p.wnid, name=p.name, source_id=p.source_id) for p in self.parts])

    def dump(self, path: str) -> None:
        """Write ``part_ids.json`` atomically."""
        atomic_write_json(path, self.to_dict(), indent=1)

    @classmethod
    def load(cls, path: str) -> 'PartIdTable':
        """Read a table written by :meth:`dump`; errors name the file."""
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f'{path}: cannot read the part id table ({err})') from None
        if data.get('format') != FORMAT:
            raise ValueError(f'{path}: not an mmpart part id table (format {data.get("format")!r})')
        by_wnid: Dict[str, list] = {c['wnid']: [] for c in data['classes']}
        for p in data['parts']:
            by_wnid[p['wnid']].append((p['source_id'], p['name']))
        table = cls([(c['wnid'], c['name'], by_wnid[c['wnid']]) for c in data['classes']])
        if [p.id for p in table.parts] != [p['id'] for p in data['parts']]:
            raise ValueError(f'{path}: part ids are not numbered class by class in wnid order')
        return table


def num_classes_in(path: str, kind: str, default: int) -> int:
    """``num_classes`` of a kind of head from the table at ``path`` if it exists, else ``default``.

    For configs, which call it when they are loaded: the count follows the converted data where it is
    there, and the datasets check it against the table they read either way (:func:`check_num_classes`).
    """
    return PartIdTable.load(path).num_classes(kind) if osp.isfile(path) else default


def num_object_classes_in(path: str, default: int) -> int:
    """Object classes + background of the table at ``path`` if it exists (heads supervised by object masks, see
    :class:`~mmpart.datasets.transforms.PartMaskToObjectMask`), else ``default``."""
    return len(PartIdTable.load(path).wnids) + 1 if osp.isfile(path) else default


class ClassCountMismatchError(ValueError):
    """A configured ``num_classes`` disagrees with the part id table; the message names both and the file."""


def check_num_classes(num_classes: Optional[int], table: PartIdTable, path: str, kind: str, owner: str) -> None:
    """Stop if ``num_classes`` (set in a config, shared with the model's head) disagrees with the table.

    Args:
        num_classes: the configured count; ``None`` skips the check.
        table: the table read from ``path``.
        path: the ``part_ids.json`` the table was read from (named in the error).
        kind: what ``num_classes`` counts, a key of :data:`CLASS_COUNT_KINDS`.
        owner: who was configured with it (e.g. ``PINPPSegDataset``), for the message.
    """
    if num_classes is None:
        return
    expected = table.num_classes(kind)
    if int(num_classes) != expected:
        raise ClassCountMismatchError(
            f'{owner}: num_classes={num_classes}, but {path} has {table.num_parts} parts over {len(table.wnids)} '
            f'classes, i.e. {expected} classes of kind {kind!r} ({CLASS_COUNT_KINDS[kind]}). The model\'s head '
            f'must use the same number: set num_classes = {expected} in the config (the PIN++ dataset configs '
            'read it from the table when it exists at config load time; after changing data_root on the command '
            'line, pass the dataset\'s and the head\'s num_classes too).')
