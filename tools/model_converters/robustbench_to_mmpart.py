"""Convert a RobustBench ImageNet checkpoint (or the authors' original) into an mmpretrain ResNet classifier.

Example::

    python tools/model_converters/robustbench_to_mmpart.py models/imagenet/Linf/Salman2020Do_R50.pt \\
        checkpoints/robustbench_salman2020do-r50.pth --model Salman2020Do_R50
    python tools/test.py configs/robustbench/robustbench_salman2020do-r50.py \\
        checkpoints/robustbench_salman2020do-r50.pth --attack autoattack

Reads the file as ``robustbench.utils.load_model`` does (``state_dict`` or the whole file, ``module.`` / ``model.``
prefixes removed; also the robustness library's ``model`` checkpoints of Engstrom2019 / Salman2020). RobustBench
normalises inside the model; the printed config does it in its data preprocessor, so the input is the same.
"""
from mmpart.models.utils.checkpoint_conversion import (
    convert_state_dict,
    converter_parser,
    load_source_checkpoint,
    save_converted,
    target_state_dict,
)
from mmpart.models.utils.checkpoint_layouts import ARCHITECTURES
from mmpart.models.utils.robustbench_zoo import ROBUSTBENCH_MODELS, ROBUSTBENCH_RESNET, robustbench_state_dict
from mmpart.utils.entry_point import run_tool


def main() -> None:
    parser = converter_parser('Convert a RobustBench ImageNet checkpoint to mmpart')
    parser.add_argument('--model', required=True, choices=sorted(ROBUSTBENCH_MODELS), help='RobustBench entry name')
    args = parser.parse_args()
    entry = ROBUSTBENCH_MODELS[args.model]
    state = robustbench_state_dict(load_source_checkpoint(args.src), args.src)
    model_cfg, _ = ARCHITECTURES[entry.arch]
    conversion = convert_state_dict(state, ROBUSTBENCH_RESNET, target_state_dict(model_cfg), args.src,
                                    f'{entry.arch} ({args.model})')
    save_converted(args.dst, conversion.state_dict,
                   dict(converted_from=f'RobustBench {args.model}', source=args.src, config=entry.config))
    print(f'{args.dst}: {conversion.summary()}\nconfig: {entry.config} ({entry.preprocessing} preprocessing)')


if __name__ == '__main__':
    run_tool(main)
