"""Ready-made models built on the engine."""
