"""Run one image through a model: top-k classes, optionally the part bypass's parts and an adversarial example.

Examples::

    python demo/image_demo.py demo/demo.JPEG configs/mpm/mpm_r50.py mpm_r50.pth
    python demo/image_demo.py IMG configs/mpm/mpm_r50.py mpm_r50.pth --parts --out-dir work_dirs/image_demo
    python demo/image_demo.py IMG configs/baseline/baseline_r50.py CKPT --attack pgd --eps 4 --steps 10 --show

An MPM checkpoint classifies as the plain classifier it deploys to (mmpretrain's inferencer, no bypass
layer runs); ``--parts`` runs the bypass explicitly. ``--attack`` attacks the model's own top-1 class (no
label is known for an arbitrary image) and draws clean | adversarial | perturbation (amplified).
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.visualization import Visualizer

from mmpart.apis import attack_image, inference_model, inference_parts, init_model, wnid_names
from mmpart.attacks import ATTACK_NAMES
from mmpart.utils.entry_point import run_tool
from mmpart.visualization import MIN_SIDE, PartLayer, adversarial_figure, part_figure, readable_class_names, write_png


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Classify one image; draw its parts; attack it')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--topk', type=int, default=5, help='classes to print')
    parser.add_argument('--parts', action='store_true', help="draw the part bypass's prediction (MPM)")
    parser.add_argument('--attack', choices=sorted(ATTACK_NAMES), help='draw an adversarial example')
    parser.add_argument('--eps', type=float, default=4, help='attack radius (L-inf: in /255 units)')
    parser.add_argument('--steps', type=int, help='attack iterations (default: the attack\'s)')
    parser.add_argument('--step-size', type=float, help='attack step, in the units of --eps')
    parser.add_argument('--out-dir', default='work_dirs/image_demo', help='where the pictures go')
    parser.add_argument('--show', action='store_true', help='also show the pictures in a window')
    parser.add_argument('--min-side', type=int, default=MIN_SIDE, help='upscale images shorter than this (px)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (e.g. the data_root whose part_ids.json names the classes)')
    return parser.parse_args()


def save(picture, path: str, show: bool) -> None:
    write_png(path, picture)
    print(f'  -> {path}')
    if show:
        Visualizer.get_instance('mmpart_image_demo').show(picture, win_name=osp.basename(path))


def main() -> None:
    args = parse_args()
    model = init_model(args.config, args.checkpoint, device=args.device, cfg_options=args.cfg_options)
    stem = osp.splitext(osp.basename(args.img))[0]
    prediction = inference_model(model, args.img, topk=args.topk)
    print(f'{args.img}: top-{len(prediction.labels)}')
    print('\n'.join(prediction.lines()))
    if args.parts:
        parts = inference_parts(model, args.img)
        names = (readable_class_names(parts.part_names, wnid_names(model._config)) if parts.part_names else
                 [f'part {i}' for i in range(int(parts.part_map.max()) + 1)])  # '<object>: <part>', as elsewhere
        picture = part_figure(parts.image, [('image', PartLayer()), ('parts (bypass)', PartLayer(parts.part_map))],
                              names, min_side=args.min_side)
        print(f'parts: {sorted(names[i] for i in set(parts.part_map.ravel().tolist()) - {0} if i < len(names))}')
        save(picture, osp.join(args.out_dir, f'{stem}_parts.png'), args.show)
    if args.attack:
        attack_args = {k: v for k, v in dict(eps=args.eps, steps=args.steps, step_size=args.step_size).items()
                       if v is not None}
        example = attack_image(model, args.img, args.attack, topk=args.topk, **attack_args)
        print(f'under {example.attack}: top-{len(example.attacked.labels)}')
        print('\n'.join(example.attacked.lines()))
        save(adversarial_figure(example, args.min_side), osp.join(args.out_dir, f'{stem}_{args.attack}.png'),
             args.show)


if __name__ == '__main__':
    run_tool(main)
