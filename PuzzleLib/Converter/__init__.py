"""Converters from PuzzleLib nets to other formats and back: ``Converter.ONNX``."""
