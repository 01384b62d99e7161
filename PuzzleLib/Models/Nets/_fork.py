"""The branching block the model zoo's nets share: the input replicated into parallel branches
whose outputs are concatenated along the channel axis."""
from PuzzleLib.Containers.Parallel import Parallel
from PuzzleLib.Modules.Concat import Concat
from PuzzleLib.Modules.Replicate import Replicate


def fork(seq, branches, concatname):
    """Append Replicate -> Parallel(branches) -> Concat(axis=1, name=concatname) to ``seq``; returns ``seq``."""
    seq.append(Replicate(len(branches)))
    parallel = Parallel()
    for branch in branches:
        parallel.append(branch)
    seq.append(parallel)
    seq.append(Concat(axis=1, name=concatname))
    return seq
