"""ONNX export and import: ``ONNXExporter().export(net, inshape, savepath)`` and ``load(path)``.

Both need the ``onnx`` extra (``pip install 'puzzlelib[onnx]'``), imported only when used.
"""
from PuzzleLib.Converter.ONNX.Exporter import ONNXExporter
from PuzzleLib.Converter.ONNX.Importer import load

__all__ = ["ONNXExporter", "load"]
