"""Synthetic, seeded, realistic API/PNR manifests and watchlists with planted truth."""
