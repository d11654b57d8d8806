"""The screening engine: settings, name comparison, the candidate index, per-field scoring
(:class:`~pipelines.screening.engine.score.Screener`) and suppression. ``compiled/`` holds the
numba fast path the Screener uses for batches; it gives the same scores."""
