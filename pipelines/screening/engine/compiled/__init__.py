"""Compiled (numba) fast path of the screening engine: blocking keys as 64-bit codes made for a
batch of names, and pre-scoring of a batch of travellers. Exact twin of the Python engine."""
