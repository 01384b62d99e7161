"""Background data preparation: a Provider hands out chunks of data (Serial walks a data set,
Merger mixes several, Generator makes them), each chunk transformed by a chain of Transformers in
worker processes. Each is importable by its module path, as in PuzzleLib 1.0
(``from PuzzleLib.Transformers.Serial import Serial``)."""
from PuzzleLib.Transformers.Affine import Affine
from PuzzleLib.Transformers.Crop import Crop
from PuzzleLib.Transformers.Flip import Flip
from PuzzleLib.Transformers.Generator import Generator
from PuzzleLib.Transformers.Merger import Merger
from PuzzleLib.Transformers.Noise import Noise
from PuzzleLib.Transformers.Provider import Provider
from PuzzleLib.Transformers.Serial import Serial
from PuzzleLib.Transformers.Shift import Shift
from PuzzleLib.Transformers.Transformer import Transformer
