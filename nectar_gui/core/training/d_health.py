"""D-health signals: how the discriminator is doing, from tensors the step already has.

Each training step records, per discriminator, the fraction of patches D puts on the
right side of its objective's decision point (on real and on generated images), D's mean
score in the objective's own terms (as :mod:`nectar_gui.core.patch_scores` reads maps:
a probability for vanilla, the raw score for lsgan and hinge), and the global L2 norm of
each optimizer's gradients before its step. No extra forward pass runs, and every value
stays a 0-dim device tensor: the session sums them with the losses and fetches both in
its one host transfer (``LossMeter``), so the signals add no device synchronisation.

Keys (see ``metrics.jsonl`` in :mod:`nectar_gui.core.rundir`): ``acc_real``,
``acc_fake``, ``score_real``, ``score_fake``, ``grad_norm_G``, ``grad_norm_D``. CycleGAN
suffixes each discriminator's set with the domain it judges (``acc_real_A`` …,
``grad_norm_D_A``); its two generators share one optimizer and one loss whose cycle terms
couple them, so it reports one joint ``grad_norm_G``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

#: Switch for ``bench/d_health.py`` (with/without comparison); on in every real run.
ENABLED = True

#: Raw score at which D changes its mind, per objective: logit 0 (probability 0.5) for
#: vanilla, halfway between LSGAN's targets 0 and 1, and 0 between hinge's −1 and +1.
DECISION_POINT: dict[str, float] = {"vanilla": 0.0, "lsgan": 0.5, "hinge": 0.0}


def patch_signals(gan_mode: str, pred_real: Tensor, pred_fake: Tensor,
                  suffix: str = "") -> dict[str, Tensor]:
    """Accuracies and mean scores of one D on a real and a generated batch.

    Args:
        gan_mode: the objective ("vanilla", "lsgan" or "hinge").
        pred_real: D's raw scores on real inputs, (B, 1, h, w).
        pred_fake: D's raw scores on generated inputs, (B, 1, h, w).
        suffix: appended to every key ("_A" for CycleGAN's D_A).

    A patch exactly at the decision point counts as wrong: D has not decided.
    """
    point = DECISION_POINT[gan_mode]
    with torch.no_grad():
        real, fake = pred_real.detach().float(), pred_fake.detach().float()
        if gan_mode == "vanilla":  # D's own reading (patch_scores.reading): probability
            score_real, score_fake = torch.sigmoid(real).mean(), torch.sigmoid(fake).mean()
        else:
            score_real, score_fake = real.mean(), fake.mean()
        return {f"acc_real{suffix}": (real > point).float().mean(),
                f"acc_fake{suffix}": (fake < point).float().mean(),
                f"score_real{suffix}": score_real, f"score_fake{suffix}": score_fake}


def grad_norm(nets: Iterable[nn.Module]) -> Tensor:
    """Global L2 norm of the gradients of ``nets``' parameters, as a device tensor.

    Parameters without a gradient are skipped. Inf or NaN propagate (an fp16 step the
    scaler is about to skip shows as inf); nothing here waits for the device.
    """
    params = [p for net in nets for p in net.parameters()]
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros((), device=params[0].device if params else None)
    return torch.nn.utils.get_total_norm(grads, norm_type=2.0, error_if_nonfinite=False)
