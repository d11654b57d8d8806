"""Name comparison: how two names agree, and why, in words.

It is alignment-based (the idea of OpenSanctions' logic-v2, built differently):

* each token of one name is paired with at most one token (or two adjacent tokens joined, for
  ``ABDUL RAHMAN`` ~ ``ABDULRAHMAN``) of the other, best pairs first, in any order, so
  surname/given-name swaps cost nothing;
* a pair's similarity is the first level that applies: ``exact`` > ``phonetic`` (same consonant
  skeleton: vowel and transliteration spellings) > ``nickname`` > ``typo`` (optimal string
  alignment distance, scaled so one edit in a short token already costs a lot) > ``initial``;
  Jaro-Winkler is deliberately not the main measure because it is lenient on short names;
* tokens left unpaired are penalised by *whether the other name also has leftovers*: leftovers
  on both sides (``BORIS`` vs ``VIKTOR`` VEKSELBERG) mean a conflicting name part, a strong sign of
  a different person; leftovers on one side only are a missing or extra middle name, a weak one;
* each token weighs by how much it tells: particles little, very common tokens (``MUHAMMAD``,
  ``KIM``, or frequent in the list itself) less, surname tokens a little more;
* a name that agrees on a single token only (``JOHN`` vs ``JOHN SMITH``) is capped well below any
  threshold: one shared word is not an identification.

Every comparison returns its level and a short text, which become the candidate's explanation.
"""

from __future__ import annotations

import functools
from rapidfuzz.distance import OSA

from pipelines.screening.engine import spec
from pipelines.screening.engine.settings import default_settings
from pipelines.screening.normalise.names import (_VOWELS, COMMON_TOKENS, KOREAN_SURNAMES, NameForm, coarse, is_particle,
                                                 is_patronymic, particle_flags, skeleton)
from pipelines.screening.normalise.nicknames import DIRECT, nickname_relation

__all__ = ["token_similarity", "compare_names", "NameComparison"]


@functools.lru_cache(maxsize=400_000)
def token_similarity(a: str, b: str, loose: bool = False, nickname: float = 0.90,
                     phonetic: float = 0.92, initial: float = 0.50,
                     nickname_indirect: float = 0.85) -> tuple[float, str]:
    """Similarity of two normalised tokens in [0, 1] and the level that gave it.

    ``loose`` is set when either side came from a script that does not write vowels or spells
    consonants by syllable (Arabic, Hebrew, kana): then consonant skeletons are compared with
    edit distance too.

    Latvian writes every masculine name, foreign ones included, with a nominative ``-S`` after the
    stem (``SERGEJS LAVROVS`` for Sergey Lavrov, ``VLADIMIRS PUTINS``): a token ending in a
    consonant + ``S`` is also compared without that ``S`` against a token not ending in ``S``, at
    most at the phonetic level, and only when that reaches 0.7 (a strong part). Not on the loose
    path: there a stem would only out-bid the syllable alignment (``SCOGGINS``/``스코긴스``)."""
    sim, level = _token_similarity(a, b, loose, nickname, phonetic, initial, nickname_indirect)
    if sim < phonetic and not loose:  # a Latin spelling's ending (syllabic/abjad sources have skeleton levels)
        for x, y in ((a, b), (b, a)):
            stem = baltic_stem(x)
            if stem is not None and y[-1] != "S":
                alt, alt_level = _token_similarity(stem, y, loose, nickname, phonetic, initial, nickname_indirect)
                alt = min(alt, phonetic)
                if alt >= spec.STRONG_PART and alt > sim and alt_level != "initial":
                    sim, level = alt, ("phonetic" if alt_level == "exact" else alt_level)
    return sim, level


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


def _token_similarity(a: str, b: str, loose: bool, nickname: float, phonetic: float,
                      initial: float, nickname_indirect: float) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    if KOREAN_SURNAMES.get(a, a) == KOREAN_SURNAMES.get(b, b):
        return phonetic, "phonetic"  # Korean surname romanisations: I ~ LEE, BAK ~ PARK, GIM ~ KIM
    if len(a) == 1 or len(b) == 1:
        return (initial, "initial") if a[0] == b[0] else (0.0, "differ")
    ska, skb = skeleton(a), skeleton(b)
    longest = max(len(a), len(b))
    distance = OSA.distance(a, b)
    # a one-consonant skeleton is trusted when either token is short (SHA ~ SHAH: a silent final
    # H): symmetric, so the level never depends on which side is the traveller
    if ska == skb and (len(ska) >= 2 or min(len(a), len(b)) <= 3) and not _vowel_distinct(a, b):
        # same consonants; a long way apart in letters (HASSAN/HOSSEINI) is weaker evidence
        close = spec.phonetic_close(distance, longest)
        return (phonetic, "phonetic") if close else (phonetic - spec.PHONETIC_FAR_PENALTY, "phonetic")
    relation = nickname_relation(a, b)
    if relation:
        # a formal name and its own form (WILLIAM/BILL) vs two forms of one name (BILL/LIAM)
        return (nickname if relation == DIRECT else nickname_indirect), "nickname"
    typo = spec.typo_similarity(distance, longest)
    best, level = typo, "typo"
    if loose:
        # abjad/syllabic source: vowels and epenthetic syllables are noise, consonants are signal
        ska_bare, skb_bare = ska.lstrip("A") or ska, skb.lstrip("A") or skb
        if ska_bare == skb_bare:
            return phonetic * spec.LOOSE_SAME_SKELETON, "phonetic"
        sk_len = max(len(ska_bare), len(skb_bare))
        sk_sim = (spec.skeleton_similarity(OSA.distance(ska_bare, skb_bare), sk_len, spec.LOOSE_SKELETON_FACTOR)
                  if sk_len >= spec.MIN_SKELETON_LENGTH else 0.0)
        if sk_sim > best:
            best, level = sk_sim, "phonetic"
        ca, cb = coarse(a), coarse(b)
        c_len = max(len(ca), len(cb))
        if c_len >= spec.MIN_SKELETON_LENGTH:
            # syllabic scripts (Chinese, Korean, Japanese) fold R/L, P/B/F, T/D, K/G, S/Z/J
            c_sim = (spec.COARSE_SAME if ca == cb
                     else spec.skeleton_similarity(OSA.distance(ca, cb), c_len, spec.COARSE_FACTOR))
            if c_sim > best:
                best, level = c_sim, "phonetic"
    return (max(best, 0.0), level) if best > 0 else (0.0, "differ")


_GENDERED_ENDINGS = frozenset({("A", "O"), ("O", "A")})


def _vowel_distinct(a: str, b: str) -> bool:
    """Same consonant skeleton, yet different names: masculine/feminine forms that differ only in
    the final vowel (``FERNANDO``/``FERNANDA``, ``JULIO``/``JULIA``, ``ANTONIO``/``ANTONIA``) are
    brother and sister, not a spelling variant. Such pairs fall through to the nickname and typo
    levels (``FERNANDO``/``FERNANDA`` is one edit: typo 0.80) instead of counting as a phonetic
    0.92. Names written in an abjad or syllabic script still compare their skeletons on the loose
    path (vowels are not written there).

    One-consonant names that start with different vowels (``AVA``/``EVE``) were tried too and
    left out: Arabic romanisation varies exactly there (``ISSA``/``ESSA``/``EESA``, ``AL``/``EL``),
    and it cost recall on the arabnamer variants for one false alert that the name-only cap
    (:mod:`pipelines.screening.engine.score`) already removes."""
    if len(a) >= 4 and len(a) == len(b) and a[:-1] == b[:-1] and (a[-1], b[-1]) in _GENDERED_ENDINGS:
        return True
    return _feminine_a(a, b) or _feminine_a(b, a)


def _feminine_a(fem: str, masc: str) -> bool:
    """``fem`` is the feminine form of the Slavic surname ``masc`` (same skeleton, checked by the
    caller): East and West Slavic surnames are inflected for sex (``PETROVA``/``PETROV``,
    ``BARANOVA``/``BARANOV``, ``ALIYEVA``/``ALIYEV``, ``KOWALSKA``/``KOWALSKI``,
    ``ZELENSKAYA``/``ZELENSKIY``): a wife, sister or daughter, not a
    spelling of the same name. Only these endings: a final ``-A`` against a consonant is not a sex
    marker in general (Hindi ``NARENDRA``/``NARENDER``, ``RAMA``/``RAM`` are one name; Arabic
    ``FATIMA``/``FATIMAH``)."""
    return feminine_surname_ending(fem) and masculine_surname_ending(masc)


def feminine_surname_ending(token: str) -> bool:
    """Ends like a feminine East/West Slavic surname (-OVA, -EVA, -SKA, -SKAYA, ...)."""
    return token.endswith(_FEMININE_ENDINGS)


def masculine_surname_ending(token: str) -> bool:
    """Ends like the masculine form of one (-OV, -EV, -SKI, -SKIY, ...), at least 4 letters."""
    return len(token) >= 4 and token.endswith(_MASCULINE_ENDINGS)


# -INA/-IN and Czech -NA/-NY are left out: given names end so too (EVELINA/EVELYN, EDNA/EDNY)
_FEMININE_ENDINGS = ("OVA", "EVA", "SKA", "CKA", "SKAYA", "SKAJA")
_MASCULINE_ENDINGS = ("OV", "EV", "SKI", "SKY", "SKIY", "SKIJ", "SKII", "CKI", "CKY")


class NameComparison:
    """Result of comparing two names: ``score`` in [0, 1] and a text explaining it.

    The text is built only when read (:attr:`text`): most comparisons of a screening run are
    discarded below the reporting floor, and building their explanation strings cost as much as
    the comparison itself."""

    __slots__ = ("score", "pairs", "extra_query", "extra_entry", "_query", "_entry", "_flags", "_text")

    @property
    def common_only(self) -> bool:
        """Every agreeing token is a very common name (``MARIA``, ``GARCIA``)."""
        return self._flags[2]

    def __init__(self, score: float, pairs: tuple, extra_query: tuple[str, ...], extra_entry: tuple[str, ...],
                 text: str | None = None, query: NameForm | None = None, entry: NameForm | None = None,
                 flags: tuple[bool, bool, bool] = (False, False, False)):
        self.score = score
        self.pairs = pairs
        self.extra_query = extra_query
        self.extra_entry = extra_entry
        self._query, self._entry, self._flags, self._text = query, entry, flags, text

    @property
    def text(self) -> str:
        if self._text is None:
            conflict, capped, common_only = self._flags
            self._text = _explain(self._query, self._entry, self.pairs, self.extra_query, self.extra_entry,
                                  conflict, capped, self.score)
            if common_only:
                self._text += "; every agreeing part is a very common name"
        return self._text

    def __repr__(self) -> str:
        return f"NameComparison(score={self.score}, text={self.text!r})"


def _weight(token: str, is_surname: bool, common: frozenset[str], params: dict, particle: bool | None = None) -> float:
    if is_particle(token) if particle is None else particle:
        return params["particle_weight"]
    weight = params["common_token_weight"] if (token in COMMON_TOKENS or token in common) else 1.0
    return weight * (params["surname_weight"] if is_surname else 1.0)




def compare_names(query: NameForm, entry: NameForm, params: dict | None = None,
                  common: frozenset[str] = frozenset()) -> NameComparison:
    """Align two names token by token and score the alignment (see the module docstring);
    ``params``: the ``comparisons.name`` settings (default: the packaged ones)."""
    p = params or default_settings().name
    if not query or not entry:
        return NameComparison(0.0, (), query.tokens, entry.tokens, "name: missing on one side")
    loose = query.loose or entry.loose
    q_tokens, e_tokens = query.tokens, entry.tokens
    weight_args = (common, p["particle_weight"], p["common_token_weight"], p["surname_weight"])
    q_particle = particle_flags(query)
    e_particle = particle_flags(entry)
    q_w = _weights(q_tokens, query.surname, q_particle, *weight_args)
    e_w = _weights(e_tokens, entry.surname, e_particle, *weight_args)
    q_units = _units(q_tokens)
    e_units = _units(e_tokens)
    min_sim = p["min_token_similarity"]
    similarity = token_similarity
    nickname, phonetic, initial = p["nickname"], p["phonetic"], p["initial"]
    nickname_indirect = p["nickname_indirect"]
    scored: list[tuple[float, int, tuple[int, ...], tuple[int, ...], str, str, str]] = []
    for q_idx, q_text in q_units:
        q_multi = len(q_idx) >= 2
        for e_idx, e_text in e_units:
            if q_multi and len(e_idx) >= 2:
                continue
            if len(q_idx) == 1 and len(e_idx) >= 2 and initials_of(q_text, e_tokens, e_idx, e_particle) \
                    or len(e_idx) == 1 and len(q_idx) >= 2 and initials_of(e_text, q_tokens, q_idx, q_particle):
                sim, level = initial, "initials"
            else:
                sim, level = similarity(q_text, e_text, loose, nickname, phonetic, initial, nickname_indirect)
            if sim >= min_sim or (level == "initial" and sim > 0):
                # prefer single-token pairs at equal similarity
                scored.append((sim, -len(q_idx) - len(e_idx), q_idx, e_idx, q_text, e_text, level))
    scored.sort(reverse=True)
    used_q: set[int] = set()
    used_e: set[int] = set()
    pairs = []
    matched_weight = 0.0
    numerator = 0.0
    strong_tokens = 0
    initials_agreeing = 0
    pair_particle = []  # per pair: is the traveller's side a particle (common_only below)
    for sim, _, q_idx, e_idx, q_text, e_text, level in scored:
        if used_q.intersection(q_idx) or used_e.intersection(e_idx):
            continue
        used_q.update(q_idx)
        used_e.update(e_idx)
        if level == "initial":
            initials_agreeing += 1
        elif level == "initials":
            initials_agreeing += max(len(q_idx), len(e_idx))
        weight = (max(q_w[i] for i in q_idx) + max(e_w[i] for i in e_idx)) / 2
        matched_weight += weight
        numerator += weight * sim
        pairs.append((q_text, e_text, sim, level))
        pair_particle.append(q_particle[q_idx[0]] if len(q_idx) == 1 else is_particle(q_text))
        if sim >= spec.STRONG_PART and level != "initial" and level != "initials" \
                and (not all(q_particle[i] for i in q_idx)
                     or level == "nickname" and not all(e_particle[i] for i in e_idx)) \
                and not (len(q_text) == 1 and len(e_text) == 1) \
                and not (len(e_text) < 3 and _initials_run_together(q_tokens, q_idx)) \
                and not (len(q_text) < 3 and _initials_run_together(e_tokens, e_idx)):
            # (an initial agreeing with an initial is still only an initial: E A WENDT vs J A WENDT
            # agree on one real part; so are initials run together against a token of one or two
            # letters, U A ~ AA, J R ~ JR; against a name spelled out they are one, L R ~ LEROY)
            # a token agreeing with several run together on the other side (POLPOT ~ POL POT)
            # agrees on each of them; a traveller's particle that is the short form of the list's
            # given name (BEN ~ BENJAMIN) is that given name
            strong_tokens += max(len(q_idx), sum(1 for i in e_idx if not e_particle[i]))
    if initials_agreeing >= 2:
        # two or more initials agreeing with given names spelled out (J C JUNCKER, JC JUNCKER vs
        # JEAN CLAUDE JUNCKER) are one agreeing part together; one initial alone is not
        strong_tokens += 1
    extra_q = tuple(t for i, t in enumerate(q_tokens) if i not in used_q)
    extra_e = tuple(t for i, t in enumerate(e_tokens) if i not in used_e)
    left_q = sum(q_w[i] for i in range(len(q_tokens)) if i not in used_q)
    left_e = sum(e_w[i] for i in range(len(e_tokens)) if i not in used_e)
    # a surname with no part agreeing is a conflict even when the other name has nothing left over
    lost = p["lost_surname_extra"]
    for flags, used, weights, is_query in ((query.surname, used_q, q_w, True), (entry.surname, used_e, e_w, False)):
        surname_idx = [i for i, flag in enumerate(flags) if flag]
        if surname_idx and not any(i in used for i in surname_idx):
            if is_query:
                left_q += sum(weights[i] for i in surname_idx) * lost
            else:
                left_e += sum(weights[i] for i in surname_idx) * lost
    # a patronymic missing on one side is expected (passports do not write it): when it is all the
    # other name lacks it weighs missing_patronymic_weight of itself; against a leftover on the
    # other side (a different father, or a surname ending -EVICH) it conflicts in full
    pat_q = _patronymic_left(q_tokens, query.surname, used_q, q_w)
    pat_e = _patronymic_left(e_tokens, entry.surname, used_e, e_w)
    if pat_q > 0 and left_e == 0:
        left_q -= pat_q * (1.0 - p["missing_patronymic_weight"])
    elif pat_e > 0 and left_q == 0:
        left_e -= pat_e * (1.0 - p["missing_patronymic_weight"])
    conflict = min(left_q, left_e)
    extra = max(left_q, left_e) - conflict
    denominator = matched_weight + p["conflict_weight"] * conflict + p["extra_weight"] * extra
    score = numerator / denominator if denominator else 0.0
    q_real = len(q_tokens) - sum(q_particle)
    e_real = len(e_tokens) - sum(e_particle)
    capped = False
    if strong_tokens < 2 and max(q_real, e_real) >= 2 and q_tokens != e_tokens:
        # (a name is not capped against itself: nothing can agree more, even when its tokens are
        # initials, A A vs A A)
        score *= spec.SINGLE_PART_CAP
        capped = True
    common_only = bool(pairs) and all(q in COMMON_TOKENS or q in common or e in COMMON_TOKENS or e in common
                                      or particle for (q, e, _, _), particle in zip(pairs, pair_particle))
    if common_only:
        score *= p["common_name_factor"]
    if entry.low_quality or query.low_quality:
        score *= p["low_quality_alias_factor"]
    return NameComparison(round(score, 4), tuple(pairs), extra_q, extra_e, None, query, entry,
                          (conflict > 0, capped, common_only))


@functools.lru_cache(maxsize=200_000)
def _weights(tokens: tuple[str, ...], surname: tuple[bool, ...], particles: tuple[bool, ...], common: frozenset[str],
             particle: float, common_weight: float, surname_weight: float) -> tuple[float, ...]:
    """Each token's weight (cached: list spellings and travellers' names repeat)."""
    params = {"particle_weight": particle, "common_token_weight": common_weight, "surname_weight": surname_weight}
    return tuple(_weight(t, s, common, params, p) for t, s, p in zip(tokens, surname, particles))


def _patronymic_left(tokens: tuple[str, ...], surname: tuple[bool, ...], used: set[int],
                     weights: tuple[float, ...]) -> float:
    """Weight of the unpaired tokens that are patronymics (not from a surname field)."""
    total = 0.0
    for i, token in enumerate(tokens):
        if i not in used and not surname[i] and is_patronymic(token):
            total += weights[i]
    return total


def _initials_run_together(tokens: tuple[str, ...], idx: tuple[int, ...]) -> bool:
    """Is the unit ``idx`` several one-letter tokens joined (``L R`` -> ``LR``)?"""
    return len(idx) > 1 and all(len(tokens[i]) == 1 for i in idx)


def run_initials(token: str) -> bool:
    """Could ``token`` be initials run together (``JC`` for Jean-Claude, ``JFK``)? Two or three
    letters, none a vowel: such a token is rarely a name (``NG`` is, and then it only meets
    given names starting N and G as initials)."""
    return 2 <= len(token) <= 3 and not _VOWELS.intersection(token)


def initials_of(token: str, tokens: tuple[str, ...], idx: tuple[int, ...], particles: tuple[bool, ...]) -> bool:
    """Is ``token`` (:func:`run_initials`) the initials of the name parts ``tokens[idx]``, in
    order, each spelled out and none a particle?"""
    return len(token) == len(idx) and run_initials(token) and all(
        len(tokens[i]) > 1 and not particles[i] and tokens[i][0] == letter for i, letter in zip(idx, token))


@functools.lru_cache(maxsize=200_000)
def _units(tokens: tuple[str, ...]) -> tuple[tuple[tuple[int, ...], str], ...]:
    units = [((i,), t) for i, t in enumerate(tokens)]
    units += [((i, i + 1), tokens[i] + tokens[i + 1]) for i in range(len(tokens) - 1)]
    # three-part runs ('DE LA CRUZ') and, for short names, the whole name run together
    units += [((i, i + 1, i + 2), "".join(tokens[i:i + 3])) for i in range(len(tokens) - 2)]
    if len(tokens) == 4:
        units.append((tuple(range(len(tokens))), "".join(tokens)))
    return tuple(units)


def _explain(query: NameForm, entry: NameForm, pairs, extra_q, extra_e, conflict: bool, capped: bool,
             score: float) -> str:
    parts = []
    for q, e, sim, level in pairs:
        parts.append(f"{q}={e}" if level == "exact" else f"{q}~{e} ({level} {sim:.2f})")
    text = f"name {score:.2f}: '{' '.join(query.tokens)}' vs '{' '.join(entry.tokens)}'"
    if entry.original and entry.original.upper() != " ".join(entry.tokens):
        text += f" (list spelling '{entry.original}')"
    text += "; agree: " + (", ".join(parts) if parts else "nothing")
    if extra_q or extra_e:
        kind = "conflicting name parts" if conflict else "extra/missing name parts"
        text += f"; {kind}: traveller {' '.join(extra_q) or '-'} / list {' '.join(extra_e) or '-'}"
    if capped:
        text += "; only one name part agrees"
    if entry.low_quality:
        text += "; low-quality alias"
    return text
