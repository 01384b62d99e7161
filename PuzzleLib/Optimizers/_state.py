"""Optimizer state in HDF5 (what ``Optimizer.save`` writes and ``Optimizer.load`` reads).

Layout, at the root of the file (or of the group given):

- attributes ``classname`` (e.g. "Adam"), ``t`` (steps taken) and one per hyperparameter
  (``learnRate``, ``momRate``, ...);
- ``state/<parameter>/<state name>``: one dataset per state buffer of each trainable Variable,
  the parameter named as in model files (``links``): ".0.W" for the first Linear of an unnamed
  Sequential.

Whether the optimizer packs its state flat (``useGlobalState``) does not change the file, so state
saved one way loads the other.
"""
import numbers

import numpy as np

from PuzzleLib import Serialization
from PuzzleLib.Errors import SerializationError


def _namedVariables(optimizer):
    """[(name, var, state)] for every variable the optimizer updates, named by its first link."""
    links, _, _ = Serialization._collect(optimizer.module)
    names = {}
    for linkname, var in links.items():
        names.setdefault(id(var), linkname)
    named = []
    for group in optimizer.groups:
        for var, state in zip(group.variables, group.varStates):
            named.append((names.get(id(var), var.name or "?"), var, state))
    return named


def _hyperNames(optimizer):
    names = tuple(optimizer.hyperNames)
    return names if "learnRate" in names or hasattr(type(optimizer), "learnRate") else names + ("learnRate",)


def _write(f, optimizer):
    f.attrs["classname"] = type(optimizer).__name__
    f.attrs["t"] = np.int64(optimizer.t)
    for hname in _hyperNames(optimizer):
        f.attrs[hname] = float(getattr(optimizer, hname))
    stateGroup = f.require_group("state")
    for name, var, state in _namedVariables(optimizer):
        group = stateGroup.require_group(name)
        for sname, buf in state.items():
            Serialization._createArray(group, sname, Serialization._host(buf), "gzip")


def saveOptimizer(optimizer, hdf=None):
    optimizer._requireSetup()
    return Serialization.atomicWrite(hdf, lambda f: _write(f, optimizer), what="optimizer file")


def _attr(f, key, what):
    if key not in f.attrs:
        raise SerializationError("%s: attribute %r is missing" % (what, key))
    value = f.attrs[key]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return value


def loadOptimizer(optimizer, hdf, name=None):
    optimizer._requireSetup()
    updates = Serialization.readFile(hdf, "optimizer file", lambda f, what: _readChecked(f, optimizer, what), name)
    _apply(optimizer, updates)


def _apply(optimizer, updates):
    t, hypers, states = updates
    for buf, values in states:
        buf.set(values)
    for hname, value in hypers.items():
        setattr(optimizer, hname, value)
    optimizer.t = t


def _readChecked(f, optimizer, what):
    classname = _attr(f, "classname", what)
    if isinstance(classname, bytes):
        classname = classname.decode("utf-8", "replace")
    if classname != type(optimizer).__name__:
        raise SerializationError("%s holds the state of %s, not of %s" % (what, classname, type(optimizer).__name__))
    t = _attr(f, "t", what)
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Integral) or t < 0:
        raise SerializationError("%s: step count 't' must be a non-negative integer, got %r" % (what, t))
    hypers = {}
    for hname in _hyperNames(optimizer):
        value = _attr(f, hname, what)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise SerializationError("%s: hyperparameter %r must be a finite number, got %r" % (what, hname, value))
        hypers[hname] = float(value)

    stateGroup = f.get("state")
    if stateGroup is None or not hasattr(stateGroup, "keys"):
        raise SerializationError("%s has no 'state' group" % what)
    named = _namedVariables(optimizer)
    known = {name for name, _, _ in named}
    extra = [key for key in stateGroup.keys() if key not in known]
    if extra:
        raise SerializationError("%s holds state of parameter %r that the net does not have (a different net?)" % (
            what, extra[0]))
    states = []
    for name, var, state in named:
        group = stateGroup.get(name)
        if group is None or not hasattr(group, "keys"):
            raise SerializationError("%s: the state of parameter %r is missing" % (what, name))
        for sname, buf in state.items():
            values = Serialization.readArray(group, sname, what, "state %r of parameter %r" % (sname, name),
                                             shape=buf.shape)
            states.append((buf, values.astype(buf.dtype, copy=False)))
    return int(t), hypers, states
