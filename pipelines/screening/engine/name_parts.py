"""What the name comparison knows of single tokens and of a name's units, before comparing.

A token's weight (particles little, very common tokens less, surname tokens a little more), the
units of a name (each token, and adjacent tokens run together: ``ABDUL RAHMAN`` ~
``ABDULRAHMAN``), and the token facts the comparison looks up: the Latvian nominative ``-S`` stem,
Slavic surname endings for sex, initials run together. The compiled comparison
(:mod:`.compiled.fast_names`) interns these once per token and name; the blocking keys
(:mod:`.compiled.keycodes`) use the Latvian stem too.
"""

from __future__ import annotations

import functools

from pipelines.screening.normalise.names import _VOWELS, COMMON_TOKENS, is_particle

__all__ = ["token_weight", "units", "baltic_stem", "feminine_surname_ending", "masculine_surname_ending",
           "run_initials"]


def token_weight(token: str, is_surname: bool, common: frozenset[str], params, particle: bool | None = None) -> float:
    """How much a token of a name tells (``params``: the ``comparisons.name`` settings; ``common``
    the list's own very frequent tokens; ``particle``: the token is a particle in this name, by
    default whether it is one at all)."""
    if is_particle(token) if particle is None else particle:
        return params["particle_weight"]
    weight = params["common_token_weight"] if (token in COMMON_TOKENS or token in common) else 1.0
    return weight * (params["surname_weight"] if is_surname else 1.0)


@functools.lru_cache(maxsize=200_000)
def units(tokens: tuple[str, ...]) -> tuple[tuple[tuple[int, ...], str], ...]:
    """The units two names are aligned by: each token, each two adjacent tokens run together,
    three-part runs (``DE LA CRUZ``) and, for a name of four tokens, the whole name run together;
    as (token positions, text)."""
    found = [((i,), t) for i, t in enumerate(tokens)]
    found += [((i, i + 1), tokens[i] + tokens[i + 1]) for i in range(len(tokens) - 1)]
    found += [((i, i + 1, i + 2), "".join(tokens[i:i + 3])) for i in range(len(tokens) - 2)]
    if len(tokens) == 4:
        found.append((tuple(range(len(tokens))), "".join(tokens)))
    return tuple(found)


@functools.lru_cache(maxsize=100_000)
def baltic_stem(token: str) -> str | None:
    """The stem of a token with a Latvian nominative ``-S`` (None when it has none): a consonant +
    ``S`` with at least four letters before it (``LAVROVS`` -> ``LAVROV``; not ``JAMES``,
    ``ANDREAS``, ``HANS``). Latvian writes the y-glide ``J``, so a stem ending in a vowel + ``J``
    ends in ``Y`` as other spellings write it (``SERGEJS`` -> ``SERGEY``, ``NIKOLAJS`` ->
    ``NIKOLAY``)."""
    if len(token) < 5 or token[-1] != "S" or token[-2] in "AEIOUYS":
        return None
    stem = token[:-1]
    if stem[-1] == "J" and stem[-2] in "AEIOU":
        stem = stem[:-1] + "Y"
    return stem


def feminine_surname_ending(token: str) -> bool:
    """Ends like a feminine East/West Slavic surname (-OVA, -EVA, -SKA, -SKAYA, ...)."""
    return token.endswith(_FEMININE_ENDINGS)


def masculine_surname_ending(token: str) -> bool:
    """Ends like the masculine form of one (-OV, -EV, -SKI, -SKIY, ...), at least 4 letters."""
    return len(token) >= 4 and token.endswith(_MASCULINE_ENDINGS)


# -INA/-IN and Czech -NA/-NY are left out: given names end so too (EVELINA/EVELYN, EDNA/EDNY)
_FEMININE_ENDINGS = ("OVA", "EVA", "SKA", "CKA", "SKAYA", "SKAJA")
_MASCULINE_ENDINGS = ("OV", "EV", "SKI", "SKY", "SKIY", "SKIJ", "SKII", "CKI", "CKY")


def run_initials(token: str) -> bool:
    """Could ``token`` be initials run together (``JC`` for Jean-Claude, ``JFK``)? Two or three
    letters, none a vowel: such a token is rarely a name (``NG`` is, and then it only meets
    given names starting N and G as initials)."""
    return 2 <= len(token) <= 3 and not _VOWELS.intersection(token)
