"""Finding MPI (private): mpi4py imported only when a grid of several processes needs it."""
import os

from PuzzleLib.Errors import GridError

# variables that MPI launchers set in the processes they start (MPICH/Hydra, Open MPI, PMIx, MVAPICH)
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_LOCAL_RANK_VARS = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID")

INSTALL_HINT = "pip install 'puzzlelib[mpi]' (mpi4py and the MPICH wheel), or mpi4py over your cluster's MPI"


def launchedByMPI():
    """True when this process was started by an MPI launcher (``mpiexec``, ``srun``, ...)."""
    return any(name in os.environ for name in _LAUNCHER_VARS)


def localRankFromEnv():
    """This process's rank among those of its machine, as the launcher tells it (None if not told)."""
    for name in _LOCAL_RANK_VARS:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return None


def loadMPI():
    """``mpi4py.MPI``, or a GridError saying how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise GridError("PuzzleLib.Grid needs mpi4py for more than one process (%s); install it with %s" % (
            e, INSTALL_HINT)) from None
    return MPI


def mpiexecPath():
    """The ``mpiexec`` beside this Python (the MPICH wheel's) or on PATH; a GridError if none."""
    import shutil
    import sys
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec")
    if found is None:
        raise GridError("runGrid: no mpiexec found beside %s or on PATH; install one with %s" % (
            sys.executable, INSTALL_HINT))
    return found
