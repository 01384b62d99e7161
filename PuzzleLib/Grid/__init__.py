"""PuzzleLib.Grid: training over several processes (one per GPU, or several CPU processes).

PuzzleLib 1.0's API: ``runGrid(target, size, *args, devices=None, **kwargs)`` runs
``target(nodeinfo, ...)`` in ``size`` processes; ``nodeinfo`` (a ``ParentNode`` for node 0, a
``ChildNode`` for the others) has ``index``, ``gridsize``, ``device`` and the collectives
``meanValue``, ``broadcastBuffer``, ``sumTensor``; an optimizer made with ``nodeinfo=nodeinfo``
starts every node from node 0's parameters and averages the gradients before each step.

Underneath, a ``Communicator`` over MPI (mpi4py; ``pip install 'puzzlelib[mpi]'`` brings mpi4py
and the MPICH wheel, or use your cluster's MPI) for host arrays and NCCL (``cupy.cuda.nccl``) for
device arrays. Any launcher works: ``mpiexec -n 4 python train.py``, on one machine or many.

``DataParallel(trainer)`` makes any Trainer data-parallel in one line (see its docstring).

In a grid of more than one process:

- a rank that raises prints its traceback and a line naming it, then ends the whole job (MPI
  abort); a rank that dies is noticed by mpiexec, which ends the others and names its PID;
  ``python -m PuzzleLib.Grid -n N train.py`` (mpiexec underneath) and runGrid name its rank;
- the files the library writes (model files, checkpoints, optimizer state) are written by rank 0
  alone, atomically, so a checkpoint stays whole whatever happens to the job.
"""
from PuzzleLib.Grid.ChildNode import ChildNode
from PuzzleLib.Grid.Communicator import Communicator
from PuzzleLib.Grid.DataParallel import DataParallel
from PuzzleLib.Grid.ParentNode import ParentNode
from PuzzleLib.Grid._launch import runGrid
from PuzzleLib.Grid._node import currentNode as gridNode

__all__ = ["runGrid", "ParentNode", "ChildNode", "Communicator", "DataParallel", "gridNode"]
