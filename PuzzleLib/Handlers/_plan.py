"""Captured training steps: a Trainer's step replayed as a list of prepared calls.

A training step through the modules spends most of its time, for small nets, in Python: each
module's call, checks and buffer lookups, the container's loop, the cost's and the optimizer's
bookkeeping, the zeroing of the gradients. Yet from one batch to the next of the same size nothing
changes but the numbers. So after a Trainer has run the first batch of a given size the usual way
(which checks everything and allocates every buffer), it asks the net, the cost and the optimizer
for a plan of that step (``Module._planStep``, ``Cost._planGrad``, ``Optimizer._planUpdate``), and
the later batches of that size copy their data into the plan's input buffer and run it. A plan is
one of two kinds:

- *bound*, when every module knows its own kernels (Linear, Activation, Sequential; costs MSE and
  CrossEntropy): the kernel calls themselves with every array bound, no Python around them;
- *calls* otherwise: each module's own ``__call__`` and ``backward``, without the container, cost,
  optimizer and handler layers (every library module; a Graph or Parallel as a whole).

Either way the same arithmetic runs on the same buffers in the same order (random draws and
running statistics included), so the numbers are bit for bit those of the usual path. The zeroing
of the gradients is skipped when the backward writes every trained gradient whole.

A plan is only made when nobody can look between two batches (no ``onBatchFinish``, no module of
the user's own in the tree, no optimizer hook) and lives for one ``train``/``handle`` call, so
everything a program may change between calls (rates, modes, variables, modules) is seen by the
next plan. Anything that can't be planned (a Variable shared by two modules, variables with their
own rates, a cost other than MSE and CrossEntropy) runs the usual way.
``Config.captureSteps = False`` turns plans off.

Validator and Calculator replay their forward passes the same way (``planForwardPass``).
"""
from PuzzleLib.Backend import gpuarray


class TrainingPlan:
    """One Trainer step for batches of one size: forward, cost, backward and update as bound calls."""

    def __init__(self, staging, forward, errorAndGrad, backward, update, grad=None):
        self.staging = staging            # where each batch's data is copied (a plain array)
        self.forward = forward            # zero-argument callables
        self.errorAndGrad = errorAndGrad  # errorAndGrad(target) -> the batch's error
        self.backward = backward          # zero-argument callables
        self.update = update              # update()
        self.grad = grad                  # the device array errorAndGrad writes (the cost's .grad)


def _modulePlans(module, data):
    """The module's plans for batches shaped like ``data`` (a plain array), the bound kind first:
    yields (staging, device, planned) where ``staging`` is the plain input buffer, ``device``
    says whether the plan's arrays are handed around as callables returning device arrays (the
    calls kind) and ``planned`` is what ``module._planStep`` returned (never None)."""
    stagingDevice = gpuarray.empty(data.shape, data.dtype)
    staging = gpuarray.kernels.plain(stagingDevice)
    for device, source in ((False, staging), (True, lambda: stagingDevice)):
        planned = module._planStep(source, False, False)
        if planned is not None:
            yield staging, device, planned


def planTrainingStep(trainer, data):
    """A TrainingPlan for batches shaped like ``data`` (a plain array), or None when the trainer's
    module, cost or optimizer can't be planned: bound kernels where every module knows its own,
    else calls of every module's methods (see ``Module._planStep``)."""
    updatePlan = trainer.optimizer._planUpdate()
    if updatePlan is None:
        return None
    update, trained, zeroOps = updatePlan
    for staging, device, (forward, out, planBackward) in _modulePlans(trainer.module, data):
        costPlan = trainer.cost._planGrad(out)
        if costPlan is None:
            return None
        errorAndGrad, grad = costPlan
        planned = planBackward((lambda: grad) if device else gpuarray.kernels.plain(grad))
        if planned is None:
            continue
        backward, _, written = planned
        writtenIds = set(map(id, written))
        if len(writtenIds) != len(written):
            return None  # a Variable shared by two modules: its gradient is a sum, not one write
        if not all(id(var) in writtenIds for var in trained):
            # some trained gradient is not written by the backward (a module in eval mode, say):
            # it must be zeroed as zeroGradParams would
            backward = zeroOps + backward
        return TrainingPlan(staging, forward, errorAndGrad, backward, update, grad)
    return None


class ForwardPlan:
    """The forward pass of a module for batches of one size, as prepared calls (Validator, Calculator)."""

    def __init__(self, staging, forward, output):
        self.staging = staging  # where each batch's data is copied (a plain array)
        self.forward = forward  # zero-argument callables
        self.output = output    # output() -> the module's output, a device array


def planForwardPass(module, data):
    """A ForwardPlan for batches shaped like ``data`` (a plain array), or None."""
    for staging, device, (forward, out, _) in _modulePlans(module, data):
        if device:
            return ForwardPlan(staging, forward, out)
        outDevice = gpuarray.kernels.asDevice(out)
        return ForwardPlan(staging, forward, lambda: outDevice)
    return None
