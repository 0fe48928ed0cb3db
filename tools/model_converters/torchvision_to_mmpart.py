"""Convert torchvision ImageNet weights of the backbones mmpart's configs use into mmpretrain's layout (``backbone.*``,
``head.fc.*``), checked against the mmpretrain classifier of that architecture.

Example::

    python tools/model_converters/torchvision_to_mmpart.py resnet50-11ad3fa6.pth resnet50_tv.pth --arch resnet50

Use the result as a backbone initialisation: ``init_cfg=dict(type='Pretrained', prefix='backbone.', checkpoint=PATH)``
(the printed configs), or ``load_from`` / ``tools/test.py`` with a plain classifier config of the architecture.
Reads torchvision's released ``.pth`` files (bare state dicts).
"""
from mmpart.models.utils.checkpoint_conversion import convert_file, converter_parser
from mmpart.models.utils.checkpoint_layouts import ARCHITECTURES, SOURCE_ARCHITECTURES
from mmpart.utils.entry_point import run_tool


def main() -> None:
    parser = converter_parser('Convert torchvision ImageNet weights to mmpretrain / mmpart keys')
    parser.add_argument('--arch', required=True, choices=sorted(SOURCE_ARCHITECTURES['torchvision']),
                        help='the torchvision architecture of the checkpoint')
    args = parser.parse_args()
    arch, key_map = SOURCE_ARCHITECTURES['torchvision'][args.arch]
    model_cfg, used_by = ARCHITECTURES[arch]
    print(convert_file(args.src, args.dst, key_map, model_cfg, arch, containers=('state_dict', 'model')))
    print(f'for: {used_by}')


if __name__ == '__main__':
    run_tool(main)
