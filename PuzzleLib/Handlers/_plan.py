"""Captured training steps: a Trainer's step replayed as a list of bound calls.

A training step through the modules spends most of its time, for small nets, in Python: each
module's call, checks and buffer lookups, the container's loop, the cost's and the optimizer's
bookkeeping. Yet from one batch to the next of the same size nothing changes but the numbers: the
same kernels run on the same buffers. So after a Trainer has run the first batch of a given size
the usual way (which checks everything and allocates every buffer), it asks the net, the cost and
the optimizer for a plan of that step (``Module._planStep``, ``Cost._planGrad``,
``Optimizer._planUpdate``): the same kernel calls with their arrays bound. The later batches of that
size copy their data into the plan's input buffer and run the calls: the same arithmetic on the same
buffers in the same order, so the numbers are bit for bit those of the usual path.

A plan is only made when nobody can look between two batches (no ``onBatchFinish``, no module of
the user's own in the tree, no optimizer hook) and lives for one ``train``/``handle`` call, so
everything a program may change between calls (rates, modes, variables, modules) is seen by the
next plan. Anything that can't be planned (a module without ``_planStep``, a Variable shared by two
modules, variables with their own rates) just runs the usual way. ``Config.captureSteps = False``
turns plans off.
"""
from PuzzleLib.Backend import gpuarray


class TrainingPlan:
    """One Trainer step for batches of one size: forward, cost, backward and update as bound calls."""

    def __init__(self, staging, forward, errorAndGrad, grad, backward, update):
        self.staging = staging
        self.forward = forward
        self.errorAndGrad = errorAndGrad
        self.grad = grad
        self.backward = backward
        self.update = update


def planTrainingStep(trainer, data):
    """A TrainingPlan for batches shaped like ``data`` (a plain array), or None when the trainer's
    module, cost or optimizer can't be planned."""
    staging = gpuarray.kernels.plain(gpuarray.empty(data.shape, data.dtype))
    planned = trainer.module._planStep(staging, False, False)
    if planned is None:
        return None
    forward, out, planBackward = planned
    costPlan = trainer.cost._planGrad(out)
    if costPlan is None:
        return None
    errorAndGrad, grad = costPlan
    backward, _, written = planBackward(gpuarray.kernels.plain(grad))
    updatePlan = trainer.optimizer._planUpdate()
    if updatePlan is None:
        return None
    update, trained, zeroOps = updatePlan
    writtenIds = set(map(id, written))
    if len(writtenIds) != len(written):
        return None  # a Variable shared by two modules: its gradient is a sum, not one write
    if not all(id(var) in writtenIds for var in trained):
        # some trained gradient is not written by the backward (a module in eval mode, say): it
        # must be zeroed as zeroGradParams would
        backward = zeroOps + backward
    return TrainingPlan(staging, forward, errorAndGrad, grad, backward, update)
