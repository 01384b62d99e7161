"""The branching block the model zoo's nets share: the input replicated into parallel branches
whose outputs are concatenated along the channel axis."""
from PuzzleLib.Containers.Parallel import Parallel
from PuzzleLib.Modules.Concat import Concat
from PuzzleLib.Modules.Replicate import Replicate
from PuzzleLib.Modules.ToList import ToList


def split(seq, branches):
    """Append Replicate -> Parallel(branches) to ``seq`` (its output: the list of the branches'
    outputs); returns ``seq``."""
    seq.append(Replicate(len(branches)))
    parallel = Parallel()
    for branch in branches:
        parallel.append(branch)
    seq.append(parallel)
    return seq


def fork(seq, branches, concatname, flatten=False):
    """Append Replicate -> Parallel(branches) -> Concat(axis=1, name=concatname) to ``seq``, with a
    ToList before the Concat when ``flatten`` (branches that end in a split give nested lists);
    returns ``seq``."""
    split(seq, branches)
    if flatten:
        seq.append(ToList())
    seq.append(Concat(axis=1, name=concatname))
    return seq
