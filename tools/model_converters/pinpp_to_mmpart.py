"""Convert a checkpoint of the PIN++ authors' code (LixiaoTHU/PartImageNetPP, timm training checkpoints) into mmpart:
their MPM into ``MPMClassifier`` (bypass included), their plain ResNet-50 (GELU) into the plain classifier.

Example::

    python tools/model_converters/pinpp_to_mmpart.py r50_part_pp_at/model_best.pth.tar pinpp-authors_mpm-r50.pth
    python tools/test.py configs/pinpp_authors/pinpp-authors_mpm-r50.py pinpp-authors_mpm-r50.pth --attack autoattack
    python tools/model_converters/mpm_to_cls.py pinpp-authors_mpm-r50.pth pinpp-authors_mpm-r50_cls.pth

Takes the EMA weights (``state_dict_ema``, what their eval.py loads) unless ``--no-ema``. The MPM checkpoint carries
its config (``meta.cfg``), so ``mpm_to_cls.py`` needs no ``--config``. Everything of theirs that mmpart has in
another form is printed by name. Their two-stage part model is another design and is refused.
"""
import argparse
import os.path as osp

from mmpart.models.utils.checkpoint_conversion import (
    ForeignCheckpointError,
    convert_state_dict,
    converter_parser,
    load_source_checkpoint,
    save_converted,
    target_state_dict,
    unwrap_state_dict,
)
from mmpart.models.utils.checkpoint_layouts import PINPP_MPM, PINPP_MPM_NOTES, PINPP_TWO_STAGE_KEY, RESNET
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool

CONFIG_DIR = osp.normpath(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'configs', 'pinpp_authors'))
CONFIGS = dict(mpm=osp.join(CONFIG_DIR, 'pinpp-authors_mpm-r50.py'),
               plain=osp.join(CONFIG_DIR, 'pinpp-authors_r50-gelu.py'))


def main() -> None:
    parser = converter_parser('Convert a PIN++ authors\' checkpoint (plain or MPM ResNet-50) to mmpart')
    parser.add_argument('--config', help='mmpart config to fill (default: configs/pinpp_authors/ for the kind found)')
    parser.add_argument('--no-ema', action='store_true', help='take state_dict, not the EMA weights')
    args = parser.parse_args()
    containers = ('state_dict', ) if args.no_ema else ('state_dict_ema', 'state_dict')
    state, where = unwrap_state_dict(load_source_checkpoint(args.src, [argparse.Namespace]), args.src, containers)
    if PINPP_TWO_STAGE_KEY in state:
        raise ForeignCheckpointError(f'{args.src}: the authors\' two-stage part model (TwostagePartModel), another '
                                     'design than mmpart\'s MPM and TwoStagePartClassifier: not converted')
    kind = 'mpm' if any(key.startswith('segmenter.') for key in state) else 'plain'
    cfg = load_config(args.config or CONFIGS[kind])
    key_map = PINPP_MPM if kind == 'mpm' else RESNET
    conversion = convert_state_dict(state, key_map, target_state_dict(cfg.model), args.src,
                                    f'{cfg.model.type} ({args.config or CONFIGS[kind]})')
    meta = dict(converted_from=f'PIN++ authors\' {kind} model', source=f'{where} of {args.src}')
    if kind == 'mpm':
        meta['cfg'] = cfg.pretty_text  # as mmengine saves it: mpm_to_cls.py reads the MPM config from here
    save_converted(args.dst, conversion.state_dict, meta)
    notes = ''.join(f'\nin another form: {note}' for note in PINPP_MPM_NOTES) if kind == 'mpm' else ''
    print(f'{args.dst}: their {kind} model from {where}\n{conversion.summary()}{notes}\nconfig: {cfg.filename}')


if __name__ == '__main__':
    run_tool(main)
