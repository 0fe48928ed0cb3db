"""Multi-scale part targets and per-sample weights for MPM's part loss (DESIGN §3)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from mmpart.datasets.part_id_table import IGNORE_INDEX

from .point_sampling import gather_pixels

#: how a part mask is sampled down to a target map: the pixel at each cell's centre (as the joint transforms), or
#: its top-left pixel (torch's ``'nearest'``, the PIN++ reference code's ``F.interpolate`` default)
MASK_RESIZE_MODES = ('nearest-exact', 'nearest')


def resize_part_labels(labels: torch.Tensor, size: Tuple[int, int], mode: str = 'nearest-exact') -> torch.Tensor:
    """Resize N×H×W part ids to ``size`` by nearest sampling: ``'nearest-exact'`` takes the pixel at each output
    cell's centre (224 → 28: pixel 8i + 4), ``'nearest'`` its top-left pixel (pixel 8i)."""
    if mode not in MASK_RESIZE_MODES:
        raise ValueError(f'mask resize mode must be one of {MASK_RESIZE_MODES}, got {mode!r}')
    return F.interpolate(labels[:, None].float(), size=tuple(size), mode=mode)[:, 0].long()


def part_targets(labels: torch.Tensor, sizes: Sequence[Tuple[int, int]], num_classes: int,
                 smoothing: float = 0.1, ignore_index: int = IGNORE_INDEX,
                 points: Optional[Sequence[torch.Tensor]] = None,
                 label_size: Optional[Tuple[int, int]] = None,
                 mask_resize: str = 'nearest-exact') -> List[torch.Tensor]:
    """Targets of MPM's part loss, one per entry of ``sizes`` (finest first), on the maps or at points.

    The mask is resized (nearest, ``mask_resize``: see :func:`resize_part_labels`) to the finest size and
    stands for label-smoothed one-hot vectors (``1 - ε + ε/C`` on the label, ``ε/C`` elsewhere; ``ignore_index``
    pixels: all zero), which are bilinearly downsampled to the other sizes. The finest target is returned as the
    N×h×w ids (:func:`soft_focal_loss` smooths them, without a C×h×w tensor), the others as soft N×C×h×w
    targets. Bilinear resizing is linear, so it runs on the one-hot planes of the ids present in
    the batch only (PIN++ has 3,309 classes, an image a handful of parts) and the constant ``ε/C``
    part is added after: the values of resizing the full C-channel targets, at a fraction of the cost.

    With ``points`` (one N×P tensor of flat pixel indices per size, see :func:`random_pixels`), each
    target is given at its points only: N×P ids at the finest size, N×C×P soft targets at the others
    (the values of the dense targets there; no C-channel map is built).

    With ``label_size`` larger than ``sizes[0]``, the mask is resized to ``label_size`` instead and every
    target, the finest too, is its soft, downsampled one-hot map: the targets that a finer scale would have
    set, for a head that predicts at the coarser scales only (MPM's scale ablations).

    Args:
        labels: N×H×W integer part ids (0 = background).
        sizes: output sizes, the first one being the finest.
        num_classes: C = number of parts + 1.
        smoothing: label smoothing ε.
        ignore_index: id of pixels without a label.
        points: pixels to give the targets at, one index tensor per size.
        label_size: size at which the mask becomes one-hot targets (default ``sizes[0]``).
        mask_resize: ``'nearest-exact'`` or ``'nearest'`` (:func:`resize_part_labels`).
    """
    soft_sizes = list(enumerate(sizes))
    if label_size is None or tuple(label_size) == tuple(sizes[0]):
        label_size, soft_sizes = sizes[0], soft_sizes[1:]
    labels = resize_part_labels(labels, label_size, mask_resize)
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= num_classes))
    if bad.any():
        raise ValueError(f'part mask holds id {int(labels[bad][0])} but the part head has num_classes='
                         f'{num_classes} (parts + background): set it from the dataset\'s part_ids.json')
    ids, local = torch.unique(labels.where(valid, 0), return_inverse=True)
    valid = valid[:, None].float()
    present = F.one_hot(local, len(ids)).permute(0, 3, 1, 2).float() * valid  # N×K×H×W, K ids present
    targets = [] if len(soft_sizes) == len(sizes) else [labels if points is None else gather_pixels(labels, points[0])]
    for i, size in soft_sizes:
        present_i = F.interpolate(present, size=tuple(size), mode='bilinear', align_corners=False)
        valid_i = F.interpolate(valid, size=tuple(size), mode='bilinear', align_corners=False)
        if points is not None:
            present_i, valid_i = gather_pixels(present_i, points[i]), gather_pixels(valid_i, points[i])
        target = (valid_i * (smoothing / num_classes)).expand(-1, num_classes, *valid_i.shape[2:]).contiguous()
        targets.append(target.index_add_(1, ids, present_i, alpha=1 - smoothing))
    return targets


def part_sample_weights(labels: torch.Tensor, has_mask: torch.Tensor, is_pseudo: torch.Tensor,
                        ignore_blank: bool = True, pseudo_weight: float = 1.0,
                        ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Weight of each sample in the part loss, shape N.

    A sample without a mask weighs 0: it is unlabelled, not a picture without parts. With
    ``ignore_blank``, so does a sample whose mask (as cropped by the pipeline) has no part pixel;
    otherwise pseudo-labelled samples weigh ``pseudo_weight`` and the others 1.

    Args:
        labels: N×H×W part ids.
        has_mask: N booleans, False where the image had no mask file.
        is_pseudo: N booleans, True for pseudo labels.
    """
    weights = torch.where(is_pseudo, torch.full_like(is_pseudo, pseudo_weight, dtype=torch.float32),
                          torch.ones_like(is_pseudo, dtype=torch.float32))
    weights = weights * has_mask
    if ignore_blank:
        weights = weights * ((labels > 0) & (labels != ignore_index)).flatten(1).any(dim=1)
    return weights
