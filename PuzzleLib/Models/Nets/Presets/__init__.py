"""Ready-made training recipes for the model builders (``Presets.SentiNet``)."""
