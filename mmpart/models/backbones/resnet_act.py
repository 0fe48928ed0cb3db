"""ResNet with a configurable activation (MPM's reference backbone is ResNet-50 with GELU)."""
from typing import Optional

from mmcv.cnn import build_activation_layer
from mmpretrain.models.backbones import ResNet
from mmpretrain.models.backbones.resnet import ResLayer

from mmpart.registry import MODELS


@MODELS.register_module()
class ResNetAct(ResNet):
    """mmpretrain's ResNet whose every activation is built from ``act_cfg``.

    mmpretrain's ResNet hard-codes ReLU in the stem; its blocks accept ``act_cfg`` but the backbone
    does not pass it. Parameters and state-dict keys are exactly those of :class:`ResNet`, so
    checkpoints move between the two (e.g. torchvision weights, or a deployed MPM classifier).

    Args:
        act_cfg: activation of the stem and of every residual block, e.g. ``dict(type='GELU')``
            (default: ReLU, as ResNet).
        frozen_norm_eval: the norm layers of the ``frozen_stages`` run in eval mode (mmpretrain's behaviour: running
            statistics frozen too). False keeps them in the model's mode: in training they normalise with batch
            statistics and update their running statistics, only the parameters are frozen (``requires_grad=False``
            on a train-mode model, as the PIN++ reference code's stage 1).
        **kwargs: arguments of :class:`mmpretrain.models.ResNet`.
    """

    def __init__(self, depth: int, act_cfg: Optional[dict] = None, frozen_norm_eval: bool = True, **kwargs) -> None:
        # read by _make_stem_layer and make_res_layer, which ResNet.__init__ calls
        self.act_cfg = dict(type='ReLU', inplace=True) if act_cfg is None else act_cfg
        self.frozen_norm_eval = frozen_norm_eval
        super().__init__(depth, **kwargs)

    def _freeze_stages(self) -> None:
        """Freeze the ``frozen_stages``' parameters; unless ``frozen_norm_eval``, leave their modes as the model's."""
        super()._freeze_stages()
        if not self.frozen_norm_eval and self.frozen_stages >= 0:
            frozen = [self.stem if self.deep_stem else self.norm1]
            frozen += [getattr(self, f'layer{i}') for i in range(1, self.frozen_stages + 1)]
            for module in frozen:
                module.train(self.training)

    def _make_stem_layer(self, in_channels: int, stem_channels: int) -> None:
        super()._make_stem_layer(in_channels, stem_channels)
        if self.deep_stem:
            for conv in self.stem:
                conv.activate = build_activation_layer(self.act_cfg)
        else:
            self.relu = build_activation_layer(self.act_cfg)

    def make_res_layer(self, **kwargs) -> ResLayer:
        return ResLayer(act_cfg=self.act_cfg, **kwargs)
