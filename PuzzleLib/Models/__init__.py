"""Model builders: functions that return ready-to-train nets (see ``PuzzleLib.Models.Nets``)."""
