"""OncoGuide conversation pipeline: one module per stage, wired in ``chains.pipeline``."""
