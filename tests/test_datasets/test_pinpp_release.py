"""The PIN++ release reader on every shape the real files may have (DESIGN §2.1)."""
import json

import pytest

from mmpart.datasets.converters.pinpp_release import (
    ClassNames,
    PINPPRelease,
    ReleaseFormatError,
    match_including,
    parse_category_names,
    parse_discarded,
)

from .release_builder import rect, write_release

TENCH = ClassNames('tench', ('head', 'body', 'fin', 'tail'))
PARTS = ['head', 'body', 'fin', 'tail']


@pytest.mark.parametrize('data', [
    # per-file records in a list, keys named after what they hold (the shape of our synthetic release)
    [dict(file_name='n01440764.json', object_name='tench', part_names=PARTS)],
    # other key names, a path, parts as {"id", "name"} records
    [dict(json_file='json/n01440764.json', category_name='tench', parts=[dict(id=i, name=n) for i, n in
                                                                          enumerate(PARTS, 1)])],
    # keys that say nothing: told apart by the values' shapes
    [dict(a='n01440764.json', b=PARTS, c='tench')],
    # positional records
    [['n01440764.json', PARTS, 'tench']],
    [['tench', 'n01440764', PARTS]],
    # a dict keyed by file name or wnid
    {'n01440764.json': dict(object=PARTS and 'tench', part_name=PARTS)},
    {'n01440764': ['tench', PARTS]},
    # parts as {id: name}
    {'n01440764': dict(name='tench', parts={str(i): n for i, n in enumerate(PARTS, 1)})},
    # a list wrapped in a single key
    dict(categories=[dict(wnid='n01440764', class_name='tench', part_names=PARTS)]),
], ids=lambda d: json.dumps(d)[:60])
def test_category_names_per_file_records(data):
    assert parse_category_names(data, 'category_name.json') == {'n01440764': TENCH}


def test_category_names_object_names_only():
    assert parse_category_names({'n01440764': 'tench'}, 'c.json') == {'n01440764': ClassNames('tench', None)}
    assert parse_category_names([dict(file_name='n01440764.json', part_names=PARTS)], 'c.json') == {
        'n01440764': ClassNames(None, tuple(PARTS))}


@pytest.mark.parametrize('data, quoted', [
    ([dict(file_name='n01440764.json', object_name='tench'), dict(id=3, name='tench')], '{"id": 3, "name": "tench"}'),
    ({'tench': 'n01440764x'}, '"tench": "n01440764x"'),
    ('tench', '"tench"'),
    ([[1, 2]], '[1, 2]'),
])
def test_category_names_other_shapes_name_the_file_and_quote_the_entry(data, quoted):
    with pytest.raises(ReleaseFormatError, match='category_name.json') as err:
        parse_category_names(data, 'rel/category_name.json')
    assert quoted in str(err.value) and '--no-category-names' in str(err.value)


@pytest.mark.parametrize('data', [
    ['n01440764_1.JPEG', 'n01443537/n01443537_2.JPEG'],
    [dict(file_name='n01440764/n01440764_1.JPEG', reason='blurry'), dict(file_name='n01443537_2.JPEG')],
    [dict(image_path='train/n01440764/n01440764_1.JPEG'), dict(file_name='n01443537_2.JPEG')],
    [dict(file_name='n01440764_1.JPEG', source_path='x/n00000000_9.JPEG'), dict(file_name='n01443537_2.JPEG')],
    {'n01440764': ['n01440764_1.JPEG'], 'n01443537': [dict(file_name='n01443537/n01443537_2.JPEG')]},
], ids=['names', 'records', 'other key', 'file_name first', 'by wnid'])
def test_discarded_shapes(data):
    assert parse_discarded(data, 'd.json') == {'n01440764_1.JPEG', 'n01443537_2.JPEG'}
    assert parse_discarded([], 'd.json') == parse_discarded({}, 'd.json') == set()


@pytest.mark.parametrize('data, quoted', [
    ([dict(id=4, score=0.1)], '{"id": 4, "score": 0.1}'),
    ([dict(path='a.JPEG', file='b.JPEG')], '{"path": "a.JPEG", "file": "b.JPEG"}'),
    ({'n01440764': 'n01440764_1.JPEG'}, '["n01440764", "n01440764_1.JPEG"]'),
    ([3], '3'),
])
def test_discarded_other_shapes_name_the_file_and_quote_the_entry(data, quoted):
    with pytest.raises(ReleaseFormatError, match='discarded_data.json') as err:
        parse_discarded(data, 'rel/discarded_data.json')
    assert quoted in str(err.value) and '--no-discarded' in str(err.value)


def test_including_crlf_case_and_spacing(tmp_path):
    release = tmp_path / 'release'
    (release / 'json').mkdir(parents=True)
    (release / 'including').mkdir()
    (release / 'including' / 'n00000001.txt').write_bytes(b'\xef\xbb\xbfNose : HEAD\r\n\r\nleft_eye:head\r\nhorn:head')
    reader = PINPPRelease(str(release))
    assert reader.including('n00000001') == [('Nose', 'HEAD'), ('left_eye', 'head'), ('horn', 'head')]
    matched, unmatched = match_including(reader.including('n00000001'), ['head', 'nose', 'Left Eye'])
    assert matched == [('nose', 'head'), ('Left Eye', 'head')] and unmatched == ['horn']
    (release / 'including' / 'n00000001.txt').write_bytes(b'nose:head\r\nnose-head\r\n')
    with pytest.raises(ReleaseFormatError, match=r'n00000001.txt:2.*nose-head'):
        reader.including('n00000001')


def test_load_class_file_names_ids_and_segmentations(tmp_path):
    rle = dict(size=[8, 8], counts='0X1')
    write_release(tmp_path, {'n00000001': dict(parts=[(9, 'tail'), (0, 'body'), (4, 'leg')], images={
        'n00000001_1.JPEG': (8, 8, [(0, [rect(0, 0, 4, 4)]), (9, rle)]),
        'n00000001_2.JPEG': (8, 8, [(4, [rect(0, 0, 2, 2)])])})})
    path = tmp_path / 'release' / 'json' / 'n00000001.json'
    data = json.loads(path.read_text())
    data['images'][1]['file_name'] = 'n00000001_2.JPEG'  # one without the folder
    data['annotations'].append(dict(id=9, image_id=77, category_id=0, segmentation=[rect(0, 0, 1, 1)]))
    path.write_text(json.dumps(data))
    cls = PINPPRelease(str(tmp_path / 'release')).load_class('n00000001')
    assert cls.parts == [(0, 'body'), (4, 'leg'), (9, 'tail')]  # by id, whatever the numbering
    assert [(i.file_name, i.folder) for i in cls.images] == [('n00000001_1.JPEG', 'n00000001'),
                                                            ('n00000001_2.JPEG', None)]
    assert cls.images[0].annotations[1].segmentation == rle and cls.orphan_annotations == 1
    data['categories'].append(dict(id=4, name='paw'))
    path.write_text(json.dumps(data))
    with pytest.raises(ReleaseFormatError, match=r'n00000001.json: category id 4 appears twice'):
        PINPPRelease(str(tmp_path / 'release')).load_class('n00000001')
