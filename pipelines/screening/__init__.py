"""Watchlist screening: name normalisation, candidate index, scoring, explanations."""
