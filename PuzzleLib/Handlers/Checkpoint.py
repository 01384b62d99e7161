"""Checkpoints: everything needed to resume training, in one HDF5 file written atomically.

A checkpoint holds the net (``model``: the model-file layout, with its blueprint), the optimizer
(``optimizer``: its hyperparameters, step count and state buffers), the epoch, and numpy's global
random state (``random``), which drives batch order, initialisation and dropout on the CPU. Loading
one and training on gives the same numbers, bit for bit on the CPU, as never having stopped.

.. note:: On the CUDA backend, modules that draw on the GPU (dropout, noise) use CuPy's generator,
   whose state is not saved: batch order and the numbers resume exactly, those draws do not.
   Per-variable ``learnRate`` / ``momRate`` / ``wc`` and optimizer hooks belong to the program and
   are not saved either: set them again before training on.

Layout::

    /               attributes: format = "PuzzleLib checkpoint", version = 1, epoch
    /model          params / links / attrs / attrs.* / blueprint (see PuzzleLib.Serialization)
    /optimizer      see PuzzleLib.Optimizers._state (absent when saved without an optimizer)
    /random         dataset "keys" (uint32[624]); attributes kind, pos, has_gauss, cached_gaussian
    /modules/<path> attributes: a module's training counters, the names it lists in ``_resumeAttrs``
                    (e.g. BatchNorm's ``numOfCalls``, which sets its running-average factor)

Example::

    >>> from PuzzleLib.Cost import MSE
    >>> from PuzzleLib.Handlers import Trainer
    >>> from PuzzleLib.Modules import Linear
    >>> from PuzzleLib.Optimizers import MomentumSGD
    >>> net, optimizer = Linear(1, 1), MomentumSGD(learnRate=0.1)
    >>> X = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
    >>> trainer = Trainer(net, MSE(), optimizer, batchsize=10)
    >>> for epoch in range(3):
    ...     trainer.trainFromHost(X, 2 * X + 1)
    ...     saveCheckpoint("run.ckpt", net, optimizer, epoch + 1)
    >>> W = net.W.get()
    >>> # later, in a fresh process: build the same net and optimizer, then
    >>> net, optimizer = Linear(1, 1), MomentumSGD(learnRate=0.1)
    >>> loadCheckpoint("run.ckpt", net, optimizer)   # the epoch to go on from
    3
    >>> np.array_equal(net.W.get(), W)
    True
"""
import numbers

import numpy as np

from PuzzleLib import Serialization
from PuzzleLib.Errors import HandlerError, SerializationError
from PuzzleLib.Optimizers import _state
from PuzzleLib.Optimizers.Optimizer import Optimizer

FORMAT = "PuzzleLib checkpoint"
VERSION = 1


def _check(net, optimizer, owner):
    from PuzzleLib.Modules.Module import Module
    if not isinstance(net, Module):
        raise HandlerError("%s: expected a module, got %s" % (owner, type(net).__name__))
    if optimizer is not None:
        if not isinstance(optimizer, Optimizer):
            raise HandlerError("%s: expected an optimizer or None, got %s" % (owner, type(optimizer).__name__))
        if optimizer.module is not None and optimizer.module is not net:
            raise HandlerError("%s: the optimizer is set up on another module than the net" % owner)


def _writeRandom(group):
    kind, keys, pos, hasGauss, cached = np.random.get_state()
    group.create_dataset("keys", data=np.asarray(keys, dtype=np.uint32))
    group.attrs["kind"] = kind
    group.attrs["pos"] = np.int64(pos)
    group.attrs["has_gauss"] = np.int64(hasGauss)
    group.attrs["cached_gaussian"] = float(cached)


def saveCheckpoint(path, net, optimizer, epoch):
    """Write ``net``, ``optimizer`` (or None), ``epoch`` and numpy's random state to ``path``.

    The file is written to a temporary file in the same folder and renamed over ``path``, so a
    crash mid-save leaves the previous checkpoint whole. ``path`` may also be None (the bytes are
    returned).
    """
    _check(net, optimizer, "saveCheckpoint")
    if isinstance(epoch, (bool, np.bool_)) or not isinstance(epoch, numbers.Integral) or epoch < 0:
        raise HandlerError("saveCheckpoint: epoch must be a non-negative integer, got %r" % (epoch,))
    if optimizer is not None:
        optimizer._requireSetup()

    def write(f):
        f.attrs["format"] = FORMAT
        f.attrs["version"] = np.int64(VERSION)
        f.attrs["epoch"] = np.int64(epoch)
        Serialization._writeInto(f.require_group("model"), net, "gzip", withBlueprint=_describable(net))
        if optimizer is not None:
            _state._write(f.require_group("optimizer"), optimizer)
        _writeRandom(f.require_group("random"))
        _writeCounters(f.require_group("modules"), net)

    return Serialization.atomicWrite(path, write, what="checkpoint")


def _describable(net):
    try:
        net.getBlueprint()
    except Exception:
        return False
    return True


def _counters(net):
    """[(module path, module, attribute name)] for every counter the net's modules keep."""
    found = []
    for path, mod, _ in net._walk(net.name or ""):
        for aname in getattr(mod, "_resumeAttrs", ()):
            found.append((path, mod, aname))
    return found


def _writeCounters(group, net):
    for path, mod, aname in _counters(net):
        value = getattr(mod, aname)
        sub = group.require_group(path or ".")
        sub.attrs[aname] = np.int64(value) if isinstance(value, numbers.Integral) else float(value)


def _readCounters(f, net, what):
    group = f.get("modules")
    updates = []
    for path, mod, aname in _counters(net):
        sub = group.get(path or ".") if group is not None else None
        if sub is None or aname not in sub.attrs:
            raise SerializationError("%s: the counter %r of module %r is missing" % (what, aname, path))
        value = sub.attrs[aname]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise SerializationError("%s: the counter %r of module %r is not a number: %r" % (what, aname, path, value))
        updates.append((mod, aname, int(value) if isinstance(value, numbers.Integral) else float(value)))
    return updates


def _readRandom(f, what):
    group = f.get("random")
    if group is None:
        raise SerializationError("%s: the random state is missing" % what)
    keys = Serialization.readArray(group, "keys", what, "the random state's keys", shape=(624,))
    try:
        kind = group.attrs["kind"]
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        state = (kind, keys.astype(np.uint32), int(group.attrs["pos"]), int(group.attrs["has_gauss"]),
                 float(group.attrs["cached_gaussian"]))
        np.random.RandomState().set_state(state)  # validates it without touching the global state
    except Exception as e:
        raise SerializationError("%s: the random state is invalid: %s" % (what, e)) from None
    return state


def _readCheckpoint(f, what, net, optimizer):
    """Everything loadCheckpoint changes, read and checked: (epoch, net updates, optimizer updates
    or None, random state, counters)."""
    if f.attrs.get("format") != FORMAT:
        raise SerializationError("%s is not a PuzzleLib checkpoint (no 'format' attribute)" % what)
    epoch = f.attrs.get("epoch")
    if not isinstance(epoch, numbers.Integral) or epoch < 0:
        raise SerializationError("%s: epoch must be a non-negative integer, got %r" % (what, epoch))
    model = f.get("model")
    if model is None:
        raise SerializationError("%s: the net ('model') is missing" % what)
    netUpdates = Serialization._readChecked(model, net, what)
    optUpdates = None
    if optimizer is not None:
        group = f.get("optimizer")
        if group is None:
            raise SerializationError("%s holds no optimizer state" % what)
        optUpdates = _state._readChecked(group, optimizer, what)
    return epoch, netUpdates, optUpdates, _readRandom(f, what), _readCounters(f, net, what)


def loadCheckpoint(path, net, optimizer):
    """Restore what ``saveCheckpoint`` wrote into ``net`` and ``optimizer``; returns the epoch.

    Build the same net and optimizer first (an optimizer not yet set up is set up on ``net``). The
    whole file is checked before anything changes: a bad or mismatched checkpoint raises a
    :class:`SerializationError` naming the file and what is wrong, and leaves the net, the
    optimizer and the random state as they were.
    """
    _check(net, optimizer, "loadCheckpoint")
    if optimizer is not None and optimizer.module is None:
        optimizer.setupOn(net)
    epoch, netUpdates, optUpdates, randomState, counters = Serialization.readFile(
        path, "checkpoint", lambda f, what: _readCheckpoint(f, what, net, optimizer))
    for target, values in netUpdates:
        target.set(values)
    if optUpdates is not None:
        _state._apply(optimizer, optUpdates)
    for mod, aname, value in counters:
        setattr(mod, aname, value)
    np.random.set_state(randomState)
    return int(epoch)
