"""The shared conversion engine on hand-made state dicts: mapping, reasons for what is left behind, derived buffers,
value transforms, and every way a checkpoint of another architecture is refused (naming the file); safe loading and
no half-written output."""
import os
import pickle

import pytest
import torch

from mmpart.models.utils.checkpoint_conversion import (
    ForeignCheckpointError,
    KeyMap,
    convert_file,
    convert_state_dict,
    load_source_checkpoint,
    unwrap_state_dict,
)
from mmpart.models.utils.checkpoint_layouts import _unfold_order
from mmpart.utils import CheckpointRefusedError

TARGET = {'backbone.w': torch.zeros(2, 3), 'backbone.index': torch.arange(4), 'head.b': torch.zeros(2),
          'backbone.bn.num_batches_tracked': torch.tensor(0)}
KEY_MAP = KeyMap('toy', rules=[(r'fc\.(.+)', r'head.\1'), (r'(w|bn\..+)', r'backbone.\1')],
                 left_behind=[(r'normalize\..+', 'normalisation, in the data preprocessor')],
                 derived=[(r'backbone\.index', 'an index buffer')])


def source(**extra):
    return {'w': torch.ones(2, 3), 'fc.b': torch.full((2, ), 2.0), **extra}


def test_maps_reports_and_fills_derived_buffers():
    conversion = convert_state_dict(source(**{'normalize.mean': torch.zeros(3)}), KEY_MAP, TARGET, 'a.pth', 'toy net')
    assert list(conversion.state_dict) == ['backbone.w', 'backbone.index', 'head.b']  # target order
    assert torch.equal(conversion.state_dict['head.b'], torch.full((2, ), 2.0))
    assert torch.equal(conversion.state_dict['backbone.index'], torch.arange(4))  # taken from the target
    assert conversion.mapped == 2 and conversion.left_behind == {'normalisation, in the data preprocessor':
                                                                  ['normalize.mean']}
    assert conversion.summary().splitlines() == [
        'mapped 2 tensors', 'left behind 1 (normalisation, in the data preprocessor): normalize',
        'taken from the mmpart model 1 (an index buffer): backbone']


def test_value_transforms_apply_to_their_keys():
    key_map = KeyMap('toy', KEY_MAP.rules, derived=KEY_MAP.derived, values=[(r'head\.b', lambda v: v * 10)])
    conversion = convert_state_dict(source(), key_map, TARGET, 'a.pth', 'toy net')
    assert torch.equal(conversion.state_dict['head.b'], torch.full((2, ), 20.0))
    assert torch.equal(conversion.state_dict['backbone.w'], torch.ones(2, 3))


@pytest.mark.parametrize('changed, problem', [
    (dict(extra=torch.zeros(1)), 'tensors of the checkpoint that no rule maps (1): extra'),
    (dict(w=torch.ones(3, 2)), 'shape mismatch (1): backbone.w (3, 2) (model (2, 3))'),
    (dict(**{'bn.weight': torch.ones(1)}), 'mapped to keys the mmpart model does not have (1): backbone.bn.weight'),
    (dict(**{'fc.b': None}), 'missing (1): head.b'),
])
def test_another_architecture_is_refused_naming_the_file(changed, problem):
    state = {k: v for k, v in {**source(), **changed}.items() if v is not None}
    with pytest.raises(ForeignCheckpointError) as error:
        convert_state_dict(state, KEY_MAP, TARGET, 'ckpt/other.pth', 'toy net')
    assert str(error.value).startswith('ckpt/other.pth: not a toy checkpoint of a toy net, refusing to convert it:')
    assert problem in str(error.value)


def test_two_tensors_onto_one_key_are_refused():
    key_map = KeyMap('toy', [(r'(?:w|w2)', 'backbone.w'), (r'fc\.(.+)', r'head.\1')], derived=KEY_MAP.derived)
    with pytest.raises(ForeignCheckpointError, match=r'tensors mapped twice \(1\): w2 -> backbone.w'):
        convert_state_dict(source(w2=torch.ones(2, 3)), key_map, TARGET, 'a.pth', 'toy net')


def test_unwrap_takes_the_first_container_and_strips_prefixes():
    checkpoint = dict(epoch=3, state_dict={'module.model.w': torch.ones(1), 'fc.b': torch.ones(1)},
                      model={'x': torch.ones(1)})
    state, where = unwrap_state_dict(checkpoint, 'a.pth', ('state_dict', 'model'), ('module.', 'model.'))
    assert list(state) == ['w', 'fc.b'] and where == "checkpoint['state_dict']"
    state, where = unwrap_state_dict({'w': torch.ones(1)}, 'a.pth')
    assert list(state) == ['w'] and where == 'the whole file'
    with pytest.raises(ForeignCheckpointError, match=r"a\.pth: entry 'epoch' is a int, not a tensor"):
        unwrap_state_dict(dict(epoch=3, weights={'w': torch.ones(1)}), 'a.pth')


class Payload:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_loading_is_weights_only_and_nothing_is_half_written(tmp_path):
    with open(tmp_path / 'evil.pth', 'wb') as f:
        pickle.dump({'w': Payload()}, f)
    with pytest.raises(CheckpointRefusedError, match='evil.pth: refused to load'):
        load_source_checkpoint(str(tmp_path / 'evil.pth'))
    torch.save(torch.ones(3), tmp_path / 'tensor.pth')
    with pytest.raises(ForeignCheckpointError, match=r'tensor\.pth: holds a Tensor, not a state dict'):
        load_source_checkpoint(str(tmp_path / 'tensor.pth'))
    torch.save({'w': torch.ones(3, 3)}, tmp_path / 'bad.pth')
    model_cfg = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=18),
                     neck=dict(type='GlobalAveragePooling'), head=dict(type='LinearClsHead', num_classes=2,
                                                                        in_channels=512))
    with pytest.raises(ForeignCheckpointError):
        convert_file(str(tmp_path / 'bad.pth'), str(tmp_path / 'out.pth'), KEY_MAP, model_cfg, 'r18')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['bad.pth', 'evil.pth', 'tensor.pth']


def test_patch_merging_order_for_unfold():
    # 2 channels: source blocks (row, col) (0,0), (1,0), (0,1), (1,1) of C channels -> per channel (0,0), (0,1), (1,0),
    # (1,1) as nn.Unfold gives them
    names = ['c0_00', 'c1_00', 'c0_10', 'c1_10', 'c0_01', 'c1_01', 'c0_11', 'c1_11']
    source_norm = torch.arange(8.0)
    expected = ['c0_00', 'c0_01', 'c0_10', 'c0_11', 'c1_00', 'c1_01', 'c1_10', 'c1_11']
    assert [names[int(i)] for i in _unfold_order(source_norm)] == expected
    reduction = torch.arange(8.0).repeat(3, 1)
    assert torch.equal(_unfold_order(reduction), _unfold_order(source_norm).repeat(3, 1))
