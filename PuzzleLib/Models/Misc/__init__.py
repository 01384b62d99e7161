"""Models that are not feed-forward nets (the RBM); import each by its module path."""
