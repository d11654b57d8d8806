"""The index build's fast key path agrees with the reference ``_token_keys`` (used at query time)."""

from __future__ import annotations

import random

import pytest

from pipelines.screening.index import _entry_keys, _token_keys
from pipelines.screening.names import PARTICLES, skeleton

_WORDS = ["ABDUL", "RAHMAN", "MOHAMMED", "AL", "BIN", "DE", "LA", "CRUZ", "XI", "JIN", "PING", "OSAMA",
          "USAMA", "SMITH", "JOHN", "A", "VAN", "DER", "BERG", "SCHMIDT", "TCHAIKOVSKY", "KIM", "LEE", "AAA"]


def _random_tokens(rng: random.Random) -> tuple[str, ...]:
    n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 9])
    words = _WORDS + sorted(PARTICLES)[:10]
    return tuple(rng.choice(words) for _ in range(n))


@pytest.mark.parametrize("joined", [True, False])
@pytest.mark.parametrize("pairs", [True, False])
@pytest.mark.parametrize("with_initial", [True, False])
def test_entry_keys_match_token_keys(joined, pairs, with_initial):
    rng = random.Random(hash((joined, pairs, with_initial)) & 0xFFFF)
    for _ in range(400):
        tokens = _random_tokens(rng)
        expected = set(_token_keys(tokens, joined, pairs, with_initial, False))
        assert _entry_keys(tokens, joined, pairs, with_initial, [skeleton(t) for t in tokens]) == expected, tokens
