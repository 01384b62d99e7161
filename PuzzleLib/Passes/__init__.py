"""Passes: transformations of whole nets (``ConvertToGraph.toGraph``: nested containers to a flat Graph)."""
