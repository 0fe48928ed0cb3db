"""Key tables of the checkpoint layouts mmpart converts (torchvision, timm, RobustBench, the PIN++ authors' code) and
the mmpretrain architectures they become. Used by :func:`.checkpoint_conversion.convert_state_dict` and the scripts
in ``tools/model_converters/``; each table is checked by logits against the original library in
``tests/test_model_converters/``."""
from typing import Dict, Tuple

import torch

from .checkpoint_conversion import KeyMap

__all__ = ['ARCHITECTURES', 'PINPP_MPM', 'PINPP_MPM_NOTES', 'PINPP_TWO_STAGE_KEY', 'RESNET', 'SOURCE_ARCHITECTURES',
           'classifier_cfg']

# --- ResNet: torchvision, timm, RobustBench's wrapped torchvision models and the PIN++ authors' plain timm model
# share the keys (conv1, bn1, layer1-4 with downsample.0/1, fc); mmpretrain's ResNet has the same names.
RESNET = KeyMap(
    'torchvision/timm ResNet',
    rules=[(r'fc\.(weight|bias)', r'head.fc.\1'), (r'((?:conv1|bn1|layer[1-4])\..+)', r'backbone.\1')])


# --- ConvNeXt: timm 1.0 (stem, stages.N.downsample, stages.N.blocks.M, head.norm/fc) -> mmpretrain
# (downsample_layers, stages.N.M, norm3, head.fc). Block names as mmpretrain's own converter of the original code.
_CONVNEXT_BLOCK = [('conv_dw', 'depthwise_conv'), ('norm', 'norm'), ('mlp.fc1', 'pointwise_conv1'),
                   ('mlp.fc2', 'pointwise_conv2')]
TIMM_CONVNEXT = KeyMap('timm ConvNeXt', rules=[
    (r'stem\.([01])\.(weight|bias)', r'backbone.downsample_layers.0.\1.\2'),
    (r'stages\.([1-3])\.downsample\.([01])\.(weight|bias)', r'backbone.downsample_layers.\1.\2.\3'),
    (r'stages\.([0-3])\.blocks\.(\d+)\.gamma', r'backbone.stages.\1.\2.gamma'),
    *[(rf'stages\.([0-3])\.blocks\.(\d+)\.{src.replace(".", r"[.]")}\.(weight|bias)',
       rf'backbone.stages.\1.\2.{dst}.\3') for src, dst in _CONVNEXT_BLOCK],
    (r'head\.norm\.(weight|bias)', r'backbone.norm3.\1'),
    (r'head\.fc\.(weight|bias)', r'head.fc.\1'),
])
# torchvision: features.0 stem, features.1/3/5/7 stages (block.0 dwconv, .2 LayerNorm, .3/.5 Linear, layer_scale
# C×1×1), features.2/4/6 downsampling, classifier.0 LayerNorm2d on the pooled features, classifier.2 Linear
_TV_CONVNEXT_BLOCK = [('0', 'depthwise_conv'), ('2', 'norm'), ('3', 'pointwise_conv1'), ('5', 'pointwise_conv2')]
TORCHVISION_CONVNEXT = KeyMap('torchvision ConvNeXt', rules=[
    (r'features\.0\.([01])\.(weight|bias)', r'backbone.downsample_layers.0.\1.\2'),
    *[(rf'features\.{2 * i}\.([01])\.(weight|bias)', rf'backbone.downsample_layers.{i}.\1.\2') for i in (1, 2, 3)],
    *[(rf'features\.{2 * i + 1}\.(\d+)\.layer_scale', rf'backbone.stages.{i}.\1.gamma') for i in range(4)],
    *[(rf'features\.{2 * i + 1}\.(\d+)\.block\.{src}\.(weight|bias)', rf'backbone.stages.{i}.\1.{dst}.\2')
      for i in range(4) for src, dst in _TV_CONVNEXT_BLOCK],
    (r'classifier\.0\.(weight|bias)', r'backbone.norm3.\1'),
    (r'classifier\.2\.(weight|bias)', r'head.fc.\1'),
], values=[(r'backbone\.stages\.\d\.\d+\.gamma', lambda gamma: gamma.reshape(-1))])


# --- Swin: patch merging. timm, torchvision and the original code concatenate the 2×2 neighbours as
# [(0,0), (1,0), (0,1), (1,1)] (row, column) blocks of C channels; mmpretrain's nn.Unfold gives, per channel, the
# order (0,0), (0,1), (1,0), (1,1). The merged norm and reduction are permuted accordingly (as mmseg's converter).
def _unfold_order(weight: torch.Tensor) -> torch.Tensor:
    """Reorder the 4C input channels of a patch-merging norm (4C) or reduction (out × 4C) for nn.Unfold."""
    shape = weight.shape
    blocks = weight.reshape(-1, 4, shape[-1] // 4)[:, [0, 2, 1, 3]]  # block k of C channels -> unfold position
    return blocks.transpose(1, 2).reshape(shape)


_SWIN_MERGE = [(r'backbone\.stages\.\d\.downsample\.(norm\.weight|norm\.bias|reduction\.weight)', _unfold_order)]
_SWIN_BLOCK = [('norm1', 'norm1'), ('attn.qkv', 'attn.w_msa.qkv'), ('attn.proj', 'attn.w_msa.proj'),
               ('norm2', 'norm2')]
_SWIN_INDEX = [(r'backbone\.stages\.\d\.blocks\.\d+\.attn\.w_msa\.relative_position_index',
                'relative position index: a function of the window size')]
TIMM_SWIN = KeyMap('timm Swin Transformer (timm >= 0.9 layout)', rules=[
    (r'patch_embed\.proj\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
    (r'patch_embed\.norm\.(weight|bias)', r'backbone.patch_embed.norm.\1'),
    *[(rf'layers\.(\d)\.blocks\.(\d+)\.{src.replace(".", r"[.]")}\.(weight|bias)',
       rf'backbone.stages.\1.blocks.\2.{dst}.\3') for src, dst in _SWIN_BLOCK],
    (r'layers\.(\d)\.blocks\.(\d+)\.attn\.relative_position_bias_table',
     r'backbone.stages.\1.blocks.\2.attn.w_msa.relative_position_bias_table'),
    (r'layers\.(\d)\.blocks\.(\d+)\.mlp\.fc1\.(weight|bias)', r'backbone.stages.\1.blocks.\2.ffn.layers.0.0.\3'),
    (r'layers\.(\d)\.blocks\.(\d+)\.mlp\.fc2\.(weight|bias)', r'backbone.stages.\1.blocks.\2.ffn.layers.1.\3'),
    # timm >= 0.9 merges patches at the start of the next stage, mmpretrain (as the original) at the end of one
    *[(rf'layers\.{i + 1}\.downsample\.(norm\.weight|norm\.bias|reduction\.weight)',
       rf'backbone.stages.{i}.downsample.\1') for i in range(3)],
    (r'norm\.(weight|bias)', r'backbone.norm3.\1'),
    (r'head\.fc\.(weight|bias)', r'head.fc.\1'),
], left_behind=[(r'layers\.\d\.blocks\.\d+\.(attn\.relative_position_index|attn_mask)',
                 'index and shifted-window mask buffers, recomputed by mmpretrain')],
    derived=_SWIN_INDEX, values=_SWIN_MERGE)
# torchvision: features.0 patch embedding (.0 conv, .2 LayerNorm), features.1/3/5/7 stages (mlp.0 / mlp.3),
# features.2/4/6 patch merging, norm, head
TORCHVISION_SWIN = KeyMap('torchvision Swin Transformer', rules=[
    (r'features\.0\.0\.(weight|bias)', r'backbone.patch_embed.projection.\1'),
    (r'features\.0\.2\.(weight|bias)', r'backbone.patch_embed.norm.\1'),
    *[(rf'features\.{2 * i + 1}\.(\d+)\.{src.replace(".", r"[.]")}\.(weight|bias)',
       rf'backbone.stages.{i}.blocks.\1.{dst}.\2') for i in range(4) for src, dst in _SWIN_BLOCK],
    *[(rf'features\.{2 * i + 1}\.(\d+)\.attn\.relative_position_bias_table',
       rf'backbone.stages.{i}.blocks.\1.attn.w_msa.relative_position_bias_table') for i in range(4)],
    *[(rf'features\.{2 * i + 1}\.(\d+)\.mlp\.0\.(weight|bias)', rf'backbone.stages.{i}.blocks.\1.ffn.layers.0.0.\2')
      for i in range(4)],
    *[(rf'features\.{2 * i + 1}\.(\d+)\.mlp\.3\.(weight|bias)', rf'backbone.stages.{i}.blocks.\1.ffn.layers.1.\2')
      for i in range(4)],
    *[(rf'features\.{2 * i + 2}\.(norm\.weight|norm\.bias|reduction\.weight)', rf'backbone.stages.{i}.downsample.\1')
      for i in range(3)],
    (r'norm\.(weight|bias)', r'backbone.norm3.\1'),
    (r'head\.(weight|bias)', r'head.fc.\1'),
], left_behind=[(r'features\.\d\.\d+\.attn\.relative_position_index',
                 'relative position index buffers, recomputed by mmpretrain')],
    derived=_SWIN_INDEX, values=_SWIN_MERGE)

# --- The PIN++ authors' MPM (LixiaoTHU/PartImageNetPP, model/partmodel.py, class MPM with dtype='resnet'): a timm
# ResNet `segmenter` (fc deleted), `classifer` = (pool, flatten, Linear), compact projections cp1/cp2/cp3 (1×1
# conv + BN of stages 4/3/2), prediction heads segmenter_head1/2/3 (GELU + SeparableConv2d: depthwise `conv1`,
# `pointwise`) at 7², 14², 28² and top-down up_layer1/2. mmpart's MPMPartHead orders its scales fine -> coarse.
_SCALE = {'3': '0', '2': '1', '1': '2'}  # their cp/head index (1 = coarsest) -> MPMPartHead scale (0 = finest)
_UP = {'2': '0', '1': '1'}  # up_layer1 (512->256) is MPMPartHead's up_layers[1], up_layer2 its up_layers[0]
PINPP_MPM = KeyMap('PIN++ authors\' MPM (model/partmodel.py)', rules=[
    (r'segmenter\.((?:conv1|bn1|layer[1-4])\..+)', r'backbone.\1'),
    (r'classifer\.2\.(weight|bias)', r'head.fc.\1'),
    *[(rf'cp{i}\.0\.weight', rf'part_head.projections.{j}.conv.weight') for i, j in _SCALE.items()],
    *[(rf'cp{i}\.1\.(weight|bias|running_mean|running_var|num_batches_tracked)', rf'part_head.projections.{j}.bn.\1')
      for i, j in _SCALE.items()],
    *[(rf'segmenter_head{i}\.1\.conv1\.weight', rf'part_head.seg_layers.{j}.1.weight') for i, j in _SCALE.items()],
    *[(rf'segmenter_head{i}\.1\.pointwise\.weight', rf'part_head.seg_layers.{j}.2.weight') for i, j in _SCALE.items()],
    *[(rf'up_layer{i}\.1\.conv1\.weight', rf'part_head.up_layers.{j}.1.weight') for i, j in _UP.items()],
    *[(rf'up_layer{i}\.1\.pointwise\.weight', rf'part_head.up_layers.{j}.2.weight') for i, j in _UP.items()],
])
#: what of the authors' MPM mmpart has in another form (no tensors are involved: printed by the converter)
PINPP_MPM_NOTES = (
    'classifer.0-1 (AdaptiveAvgPool2d, Flatten): the GlobalAveragePooling neck; classifer.2 is head.fc',
    'SeparableConv2d (conv1 depthwise, pointwise) inside segmenter_head*/up_layer*: the last two layers of '
    'MPMPartHead\'s separable convs (activation, depthwise, pointwise), same tensors',
    'their forward computes the cp1-cp3 projections at inference too; MPMClassifier runs no bypass layer when '
    'predicting (same logits)',
    'training options --level 1/2 (fewer supervised scales) and --down False (no top-down path) are not in the '
    'checkpoint: MPMPartHead computes level 3 with the top-down path; a level-1/2 checkpoint converts, but its '
    'unsupervised scales were never trained',
)
#: a tensor only the authors' two-stage part model (``TwostagePartModel``: BN + separable conv on stage 4, then a
#: classifier on the part maps) has; it is another design than mmpart's TwoStagePartClassifier and is not converted
PINPP_TWO_STAGE_KEY = 'segmenter_head.2.pointwise.weight'

#: per source library: its architecture name -> (mmpart architecture, key table)
SOURCE_ARCHITECTURES: Dict[str, Dict[str, Tuple[str, KeyMap]]] = {
    'torchvision': dict(resnet18=('resnet18', RESNET), resnet50=('resnet50', RESNET),
                        wide_resnet50_2=('wide_resnet50_2', RESNET),
                        convnext_tiny=('convnext_tiny', TORCHVISION_CONVNEXT), swin_t=('swin_tiny', TORCHVISION_SWIN)),
    'timm': dict(resnet18=('resnet18', RESNET), resnet50=('resnet50', RESNET),
                 wide_resnet50_2=('wide_resnet50_2', RESNET), convnext_tiny=('convnext_tiny', TIMM_CONVNEXT),
                 swin_tiny_patch4_window7_224=('swin_tiny', TIMM_SWIN)),
}


def classifier_cfg(backbone: dict, in_channels: int, pool: bool = True, num_classes: int = 1000) -> dict:
    """mmpretrain's ImageClassifier: backbone, global average pooling (unless the backbone pools), linear head."""
    neck = dict(type='GlobalAveragePooling') if pool else None
    return dict(type='ImageClassifier', backbone=backbone, neck=neck,
                head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=in_channels))


#: mmpart architecture -> (mmpretrain classifier, configs whose backbone starts from it)
ARCHITECTURES: Dict[str, Tuple[dict, str]] = {
    'resnet18': (classifier_cfg(dict(type='ResNet', depth=18), 512), 'mmpretrain ResNet-18 configs'),
    'resnet50': (classifier_cfg(dict(type='ResNet', depth=50), 2048),
                 'configs/mpm/mpm_r50_init.py, configs/baseline/baseline_r50.py (ResNetAct: same keys, GELU)'),
    # torchvision's wide_resnet50_2 (width_per_group 128) is mmpretrain's ResNet with 128 base channels, expansion 2
    'wide_resnet50_2': (classifier_cfg(dict(type='ResNet', depth=50, base_channels=128, expansion=2), 2048),
                        'WRN-50-2 configs (mmpretrain::wrn/, configs/robustbench/robustbench_salman2020do-50-2.py)'),
    # the original ConvNeXt pools before its last norm (gap_before_final_norm, mmpretrain's default: no neck)
    'convnext_tiny': (classifier_cfg(dict(type='ConvNeXt', arch='tiny'), 768, pool=False),
                      'configs/mpm/mpm_convnext-t_init.py, configs/baseline/baseline_convnext-t.py'),
    'swin_tiny': (classifier_cfg(dict(type='SwinTransformer', arch='tiny', img_size=224), 768),
                  'configs/mpm/mpm_swin-t_init.py, configs/baseline/baseline_swin-t.py'),
}
