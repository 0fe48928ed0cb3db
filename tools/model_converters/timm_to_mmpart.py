"""Convert timm ImageNet weights of the backbones mmpart's configs use into mmpretrain's layout (``backbone.*``,
``head.fc.*``), checked against the mmpretrain classifier of that architecture.

Example::

    python tools/model_converters/timm_to_mmpart.py resnet50.a1_in1k.pth resnet50_timm.pth --arch resnet50

Use the result as a backbone initialisation: ``init_cfg=dict(type='Pretrained', prefix='backbone.', checkpoint=PATH)``
(the printed configs), or ``load_from`` / ``tools/test.py`` with a plain classifier config of the architecture.
A timm training checkpoint converts its EMA weights (``state_dict_ema``, as timm's own loader) if it has them, else
``state_dict``; its saved arguments (``argparse.Namespace``) are allowed by the safe loader. Weights timm caches as
``.safetensors``: save them first with ``torch.save(timm.create_model(NAME, pretrained=True).state_dict(), PATH)``.
Swin: timm >= 0.9's layout (patch merging at the start of a stage), as its released weights.
"""
import argparse

from mmpart.models.utils.checkpoint_conversion import convert_file, converter_parser
from mmpart.models.utils.checkpoint_layouts import ARCHITECTURES, SOURCE_ARCHITECTURES
from mmpart.utils.entry_point import run_tool


def main() -> None:
    parser = converter_parser('Convert timm ImageNet weights to mmpretrain / mmpart keys')
    parser.add_argument('--arch', required=True, choices=sorted(SOURCE_ARCHITECTURES['timm']),
                        help='the timm architecture of the checkpoint')
    args = parser.parse_args()
    arch, key_map = SOURCE_ARCHITECTURES['timm'][args.arch]
    model_cfg, used_by = ARCHITECTURES[arch]
    print(convert_file(args.src, args.dst, key_map, model_cfg, arch,
                       containers=('state_dict_ema', 'state_dict', 'model'), allowed_globals=[argparse.Namespace]))
    print(f'for: {used_by}')


if __name__ == '__main__':
    run_tool(main)
