"""buildNet: PuzzleLib 1.0's SentiNet, a Kim-style convolutional sentence classifier."""
import numbers
import time

import numpy as np

from PuzzleLib.Backend import gpuarray
from PuzzleLib.Containers.Parallel import Parallel
from PuzzleLib.Containers.Sequential import Sequential
from PuzzleLib.Errors import ModuleError
from PuzzleLib.Modules.Activation import Activation, relu
from PuzzleLib.Modules.Concat import Concat
from PuzzleLib.Modules.Conv2D import Conv2D
from PuzzleLib.Modules.Dropout import Dropout
from PuzzleLib.Modules.Embedder import Embedder
from PuzzleLib.Modules.Linear import Linear
from PuzzleLib.Modules.MaxPool2D import MaxPool2D
from PuzzleLib.Modules.Replicate import Replicate
from PuzzleLib.Modules.Reshape import Reshape

_SUFFIXES = ("", "_NOUN", "_VERB", "_ADJ", "_ADV", "_PROPN", "_NUM", "_PRON", "_ADP", "_DET", "_CCONJ", "_PART",
             "_INTJ", "_X")


def buildNet(vocabulary, branches, w2v, sentlength, embsize, wscale, dim=2, branchMaps=100, name="sentinet"):
    """A Kim-style text CNN (https://arxiv.org/abs/1408.5882) as PuzzleLib 1.0's SentiNet builds it:
    an Embedder "embedder" (row 0, the padding word, zeroed), Reshape to one-map images
    (sentlength, embsize), one branch per filter height f in ``branches`` (Conv2D(1, branchMaps,
    (f, embsize)), a max pool over the whole sentence, Reshape to (N, branchMaps)), Concat, relu,
    Dropout(0.5) and Linear(len(branches) * branchMaps, dim). The container attribute "timestamp"
    holds the Unix time it was built.

    Parameters
    ----------
    vocabulary : int or dict
        The vocabulary size, or words -> row indices.
    branches : sequence of int
        Filter heights.
    w2v : optional
        Word vectors with ``.vocab`` and ``w2v[word]`` (gensim-style): each word's row is copied
        from the first of word, word_NOUN, word_VERB, ... it holds.
    sentlength, embsize : int
        Tokens per sentence and embedding width.
    wscale : float
        Scale of the embedding's uniform initialisation.
    dim : int
        Output classes.
    branchMaps : int
        Filters per branch.
    name : str

    Shape
    -----
    int32 (N, sentlength) -> (N, dim) scores.

    Example::

        >>> net = buildNet(50, (3, 4), None, sentlength=10, embsize=8, wscale=0.25)
        >>> net(to_gpu(np.ones((2, 10), np.int32))).shape
        (2, 2)
    """
    if not isinstance(branches, (tuple, list)) or not branches or not all(
            isinstance(f, numbers.Integral) and 0 < f <= sentlength for f in branches):
        raise ModuleError("SentiNet: branches must be filter heights in 1..sentlength=%d, got %r" % (
            sentlength, branches))
    net = Sequential(name=name)
    net.setAttr("timestamp", gpuarray.to_gpu(np.array([int(time.time())], dtype=np.int32)))

    def fill(W, vocab):
        W[0] = 0.0
        if w2v is not None and isinstance(vocab, dict):
            for word, idx in vocab.items():
                for suffix in _SUFFIXES:
                    if word + suffix in w2v.vocab:
                        W[idx] = np.asarray(w2v[word + suffix], dtype=W.dtype)
                        break

    net.append(Embedder(vocabulary, sentlength, embsize, onVocabulary=fill, wscale=wscale, name="embedder"))
    net.append(Reshape((-1, 1, sentlength, embsize)))
    net.append(Replicate(len(branches)))
    parallel = Parallel()
    for f in branches:
        branch = Sequential()
        branch.append(Conv2D(1, branchMaps, (f, embsize)))
        branch.append(MaxPool2D(size=(sentlength - f + 1, 1)))
        branch.append(Reshape((-1, branchMaps)))
        parallel.append(branch)
    net.append(parallel)
    net.append(Concat(axis=1))
    net.append(Activation(relu))
    net.append(Dropout(0.5))
    net.append(Linear(len(branches) * branchMaps, dim))
    return net
