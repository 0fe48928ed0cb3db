"""The PIN++ release reader on every shape the real files may have (DESIGN §2.1)."""
import json

import pytest

from mmpart.datasets.converters.pinpp_release import (
    ClassNames,
    PINPPRelease,
    ReleaseFormatError,
    match_including,
    normalize_name,
    parse_category_names,
    parse_discarded,
    quote,
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


# --------------------------------------------------------------------------- names, keys and messages


def test_quotes_and_names():
    assert quote({'name': 'tête'}) == '{"name": "tête"}'  # readable, not \\u escapes
    assert quote('x' * 298) == '"' + 'x' * 298 + '"'  # 300 characters: kept whole
    assert quote('x' * 299) == '"' + 'x' * 299 + '...'  # 301: cut to 300
    assert normalize_name(' Left_Wing ') == normalize_name('left - wing') == 'left wing'


@pytest.mark.parametrize('key, value', [('file_name', 'n01440764.json'), ('json', 'json\\n01440764.json'),
                                        ('wnid', 'n01440764/'), ('synset_id', 'n01440764')])
@pytest.mark.parametrize('object_key', ['object_name', 'class', 'category', 'name'])
def test_category_names_keys_are_read_by_name_before_shape(key, value, object_key):
    # a wnid-like value and a string under keys that name neither come first: the keys' names decide
    record = {'parent': 'n00000001', 'note': 'blurry photos', key: value, object_key: 'tench', 'part_names': PARTS,
              'aliases': ['fish'], 'extra': {'1': 'x'}, 'count': 3, 'remark': 'tail is short'}
    assert parse_category_names([record], 'c.json') == {'n01440764': TENCH}


def test_category_names_by_shape():
    # what the key names give is not read again; the others are read by shape, all of them
    assert parse_category_names([dict(object_name='tench', a='n01440764.json', b=PARTS)], 'c.json') == {
        'n01440764': TENCH}
    assert parse_category_names([['n01440764', 'json/n01440764.json', PARTS]], 'c.json') == {
        'n01440764': ClassNames(None, tuple(PARTS))}  # a second wnid is not an object name
    eleven = {str(i): f'p{i}' for i in range(11, 0, -1)}  # ids sort as numbers, not as text
    assert parse_category_names({'n01440764': dict(name='tench', parts=eleven)}, 'c.json')['n01440764'].part_names \
        == tuple(f'p{i}' for i in range(1, 12))
    # part records without names are no part list
    assert parse_category_names([dict(file_name='n01440764.json', object_name='tench', part_names=[{'id': 1}])],
                                'c.json') == {'n01440764': ClassNames('tench', None)}


def test_category_names_messages():
    with pytest.raises(ReleaseFormatError) as err:
        parse_category_names('tench', 'rel/category_name.json')
    assert str(err.value) == ('rel/category_name.json: expected a list or a dict of per-class records, got str "tench".'
                              ' Pass --no-category-names to convert without this file.')
    with pytest.raises(ReleaseFormatError) as err:
        parse_category_names([[1, 2]], 'rel/category_name.json')
    assert str(err.value) == (
        'rel/category_name.json: cannot read per-class names from the entry [1, 2]; expected records with a file name '
        'or wnid, an object name and/or part names (a list, or a dict keyed by file / wnid). Pass --no-category-names '
        'to convert without this file (names then come from json/).')


def test_discarded_names_and_messages():
    assert parse_discarded([dict(image='train/n01440764_1.JPEG', note='blurry'), 'n01443537\\n01443537_2.JPEG'],
                           'd.json') == {'n01440764_1.JPEG', 'n01443537_2.JPEG'}
    with pytest.raises(ReleaseFormatError) as err:
        parse_discarded('n01440764_1.JPEG', 'rel/discarded_data.json')
    assert str(err.value) == ('rel/discarded_data.json: expected a list of file names, a list of records with '
                              '"file_name" or {wnid: [file names]}; the first entry is "n01440764_1.JPEG". Pass '
                              '--no-discarded to convert without this file.')
    with pytest.raises(ReleaseFormatError, match=r'the first entry is \["n01440764", "n01440764_1.JPEG"\]\. Pass'):
        parse_discarded({'n01440764': 'n01440764_1.JPEG', 'n01443537': []}, 'rel/discarded_data.json')
    assert parse_discarded({}, 'd.json') == set()
    with pytest.raises(ReleaseFormatError) as err:
        parse_discarded([3], 'rel/discarded_data.json')
    assert str(err.value) == ('rel/discarded_data.json: cannot read a file name from the entry 3; expected a file name '
                              'or a record with "file_name". Pass --no-discarded to convert without this file.')


def test_unmatched_including_names_of_every_line():
    matched, unmatched = match_including([('horn', 'head'), ('nose', 'head'), ('tail', 'body')], ['head', 'nose'])
    assert matched == [('nose', 'head')] and unmatched == ['horn', 'tail', 'body']


def test_release_folder_and_file_names(tmp_path):
    with pytest.raises(ReleaseFormatError) as err:
        PINPPRelease(str(tmp_path))
    assert str(err.value) == (f'{tmp_path}/json: missing; is {tmp_path} a PIN++ release (json/, category_name.json, '
                              'including/, discarded_data.json)?')
    write_release(tmp_path, {'n00000001': dict(parts=[(1, 'body')], images={
        'n00000001_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])]), 'n00000001_2.JPEG': (8, 8, [])})})
    for junk in ('._n00000001.json', 'notes.txt'):
        (tmp_path / 'release' / 'json' / junk).write_text('{}')
    reader = PINPPRelease(str(tmp_path / 'release'))
    assert reader.wnids() == ['n00000001']
    (tmp_path / 'release' / 'category_name.json').write_text(
        '\ufeff' + json.dumps({'n00000001': 'tête'}, ensure_ascii=False), encoding='utf-8')  # with a BOM
    assert reader.category_names() == {'n00000001': ClassNames('tête', None)}
    path = tmp_path / 'release' / 'json' / 'n00000001.json'
    data = json.loads(path.read_text())
    data['images'][0]['file_name'] = '/n00000001\\n00000001_1.JPEG'  # a leading slash, Windows separators
    path.write_text(json.dumps(data))
    assert [(i.file_name, i.folder) for i in reader.load_class('n00000001').images] == [
        ('n00000001_1.JPEG', 'n00000001'), ('n00000001_2.JPEG', 'n00000001')]


@pytest.mark.parametrize('change, message', [
    (lambda d: [d], 'expected a COCO object, got list'),
    (lambda d: dict(d, images=[dict(id=1, file_name='a.JPEG', height=8)]),
     'malformed image entry {"id": 1, "file_name": "a.JPEG", "height": 8} (KeyError: \'width\')'),
    (lambda d: dict(d, annotations=[dict(id=1, image_id=1, category_id='leg')]),
     'malformed annotation {"id": 1, "image_id": 1, "category_id": "leg"} (ValueError: invalid literal for int() with '
     "base 10: 'leg')"),
    (lambda d: dict(d, categories=[dict(id=1)]), 'malformed category {"id": 1}'),
    (lambda d: dict(d, categories=[dict(id=1, name='a'), dict(id=1, name='b')]),
     'category id 1 appears twice ({"id": 1, "name": "b"})'),
])
def test_malformed_class_json_names_the_file_and_the_entry(tmp_path, change, message):
    write_release(tmp_path, {'n00000001': dict(parts=[(1, 'body')], images={'n00000001_1.JPEG': (8, 8, [])})})
    path = tmp_path / 'release' / 'json' / 'n00000001.json'
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    with pytest.raises(ReleaseFormatError) as err:
        PINPPRelease(str(tmp_path / 'release')).load_class('n00000001')
    assert str(err.value) == f'{path}: {message}'
