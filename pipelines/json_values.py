"""Record fields that carry JSON: shared by the stages that read them (flags, routing, review).

MatchCandidate and risk-flag records carry nested records (the traveller, the entry) either as
dicts or as JSON object text; :func:`json_object` reads either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["json_object"]


def json_object(value: Any) -> dict:
    """A dict from a dict or JSON object text (as MatchCandidate and flags carry records); anything
    else, malformed text included, gives an empty dict."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value:
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}
