"""Compiled (numba) fast path of the screening engine: blocking keys as 64-bit codes made for a
batch of names, the name comparison (the only implementation: the engine calls it pair by pair),
and pre-scoring of a batch of travellers with the engine's own per-pair rules."""
