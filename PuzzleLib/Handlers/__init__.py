"""Handlers: drive a module over a data set (train, validate, calculate)."""
from PuzzleLib.Handlers.Handler import Handler
from PuzzleLib.Handlers.Trainer import Trainer
from PuzzleLib.Handlers.Validator import Validator
from PuzzleLib.Handlers.Calculator import Calculator
from PuzzleLib.Handlers.Checkpoint import saveCheckpoint, loadCheckpoint
