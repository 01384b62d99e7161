"""Containers: modules made of modules."""
from PuzzleLib.Containers.Container import Container
from PuzzleLib.Containers.Sequential import Sequential
