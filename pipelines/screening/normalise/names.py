"""Name normalisation: any script to MRZ-style A-Z tokens, titles dropped, particles marked.

Airlines send names as the passport's machine-readable zone spells them (ICAO Doc 9303: A-Z only,
``Ü`` -> ``UE``); watchlists hold names as an analyst typed them, sometimes in the original script
(Arabic, Cyrillic, Chinese, Hebrew, Korean, ...). Both sides are brought to the same form here:

1. Unicode NFKC, then per character: Latin letters go through :func:`pipelines.mrz.transliterate`
   (Doc 9303's table), Arabic and Hebrew through the abjad tables below (long vowels kept as
   vowels so ``محمد`` meets ``MOHAMMED`` on its consonants), every other script through
   ``anyascii`` (Cyrillic, Greek, CJK to pinyin/romaja/romaji syllables, Devanagari, ...).
2. Words split on spaces, hyphens, apostrophes and dots; CJK syllables become separate tokens
   (``习近平`` -> ``XI JIN PING``) so they align with ``XI JINPING`` through joined tokens.
3. Titles and honorifics (``MR``, ``DR``, ``SHEIKH``, ``HAJI``) are dropped unless nothing else is
   left; particles (``AL``, ``BIN``, ``VAN``, ``DE``) are kept but marked, so they weigh little.
4. A repeated token (``SHOIGU SHOIGU SERGEY``) counts once.

Two names never compare as strings here: this module only produces :class:`NameForm` token tuples
and each token's consonant :func:`skeleton`, a phonetic key that absorbs vowel spelling and
transliteration variants (``MOHAMMED``/``MUHAMMAD``/``محمد`` -> ``MHMD``). Comparison lives in
:mod:`pipelines.screening.engine.compare`.

Falsehoods programmers believe about names apply: a name may be one token, may carry no surname,
may be in any order, and two people may share every token.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

from pipelines import storage
from pipelines.mrz import transliterate as mrz_transliterate

__all__ = [
    "NameForm", "name_form", "normalise", "skeleton", "tokens", "is_particle", "is_title",
    "script_of", "COMMON_TOKENS", "coarse", "syllabic", "is_patronymic", "particle_flags",
]


def _data_text(name: str) -> str:
    return storage.read_text(storage.packaged("screening", "data", name))


def _load_particles() -> tuple[frozenset[str], frozenset[str]]:
    sections: dict[str, set[str]] = {"particles": set(), "titles": set()}
    current = None
    for line in _data_text("particles.txt").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            current = line.strip("[]")
            continue
        if current:
            sections[current].update(line.split())
    return frozenset(sections["particles"]), frozenset(sections["titles"])


PARTICLES, TITLES = _load_particles()

#: Tokens common enough worldwide that agreeing on them says little (weighted down).
COMMON_TOKENS: frozenset[str] = frozenset(
    word for line in _data_text("common_tokens.txt").splitlines()
    if not line.startswith("#") for word in line.split()
)

# Arabic: consonants by their usual Latin spelling, long vowels as vowels, hamza/ain dropped.
_ARABIC = {
    "ا": "A", "أ": "A", "إ": "I", "آ": "A", "ٱ": "A", "ء": "", "ئ": "", "ؤ": "U", "ب": "B", "ت": "T",
    "ث": "TH", "ج": "J", "ح": "H", "خ": "KH", "د": "D", "ذ": "DH", "ر": "R", "ز": "Z", "س": "S",
    "ش": "SH", "ص": "S", "ض": "D", "ط": "T", "ظ": "Z", "ع": "", "غ": "GH", "ف": "F", "ق": "Q",
    "ك": "K", "ل": "L", "م": "M", "ن": "N", "ه": "H", "و": "U", "ي": "I", "ى": "A", "ة": "A",
    "پ": "P", "چ": "CH", "ژ": "ZH", "گ": "G", "ک": "K", "ی": "I", "ۀ": "A", "ـ": "",
}
# Hebrew: consonants; alef/ayin dropped, vav/yod as vowels (they mostly write vowels in names).
_HEBREW = {
    "א": "A", "ב": "B", "ג": "G", "ד": "D", "ה": "H", "ו": "U", "ז": "Z", "ח": "H", "ט": "T",
    "י": "I", "כ": "K", "ך": "K", "ל": "L", "מ": "M", "ם": "M", "נ": "N", "ן": "N", "ס": "S",
    "ע": "", "פ": "P", "ף": "F", "צ": "TS", "ץ": "TS", "ק": "K", "ר": "R", "ש": "SH", "ת": "T",
}
# Korean surnames as a transliterator spells them (Revised Romanization, anyascii) -> the spelling
# passports and Western lists mostly use (McCune-Reischauer and custom). Only spellings that are
# not also ordinary tokens elsewhere (not O, AN, U, JO, NO, ...): the skeleton key of the left side
# is the right side's, so GIM meets KIM, I/RI/YI meet LEE, BAK/BAG meet PARK in blocking and scoring.
KOREAN_SURNAMES = {
    "GIM": "KIM", "I": "LEE", "RI": "LEE", "YI": "LEE", "BAK": "PARK", "BAG": "PARK", "PAK": "PARK", "JEONG": "JUNG",
    "CHOE": "CHOI", "GWON": "KWON", "GWAK": "KWAK", "HEO": "HUH", "EOM": "UM", "CHEON": "CHUN",
    "HYEON": "HYUN", "SEONG": "SUNG", "GANG": "KANG",
}
# Serbian and Macedonian Cyrillic: the letters their Latin alphabets write differently from the
# Russian-style transliteration (Ч is Č, not CH: a Serbian passport writes VUČIĆ, MRZ VUCIC); the
# Latin letters then go through Doc 9303's table like any Latin name. Used when the name has a
# letter only these alphabets have (Ђ Ћ Џ Љ Њ Ј Ѓ Ќ Ѕ).
_SERBIAN_LATIN = {"Ђ": "Đ", "Ћ": "Ć", "Џ": "Dž", "Љ": "Lj", "Њ": "Nj", "Ј": "J", "Ж": "Ž", "Ч": "Č", "Ш": "Š",
                  "Ц": "C", "Х": "H", "Ѓ": "Ǵ", "Ќ": "Ḱ", "Ѕ": "Dz"}
_SERBIAN_LATIN.update({k.lower(): v.lower() for k, v in _SERBIAN_LATIN.items()})
_SERBIAN_ONLY = frozenset("ЂЋЏЉЊЈЃЌЅђћџљњјѓќѕ")
_SPLIT = re.compile(r"[\s\-‐‑‒–—'’`´.,/_()]+")
_CAMEL = re.compile(r"(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])")


#: Brahmic scripts of South and South-East Asia: vowels are signs attached to consonants
#: (combining marks, which normalisation drops), so their names compare on consonants, like abjads
_ABUGIDAS = frozenset({"DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA",
                       "MALAYALAM", "SINHALA", "THAI", "LAO", "TIBETAN", "MYANMAR", "KHMER"})


def script_of(char: str) -> str:
    """The Unicode script family of a letter, from its character name: 'LATIN', 'ARABIC',
    'CYRILLIC', 'CJK', 'HANGUL', ... ('OTHER' for digits and punctuation)."""
    try:
        name = unicodedata.name(char)
    except ValueError:
        return "OTHER"
    first = name.split(" ", 1)[0]
    if first in ("LATIN", "ARABIC", "CYRILLIC", "HEBREW", "GREEK", "HANGUL", "HIRAGANA",
                 "KATAKANA", "GEORGIAN", "ARMENIAN", "ETHIOPIC") or first in _ABUGIDAS:
        return first
    if first == "CJK":
        return "CJK"
    return "OTHER"


#: Digits typed or read in place of the letters they look like (OCR of a passport page, leetspeak
#: on lists scraped from the web): ``IG0R`` and ``I9OR`` are ``IGOR``, ``SECH1N`` is ``SECHIN``.
_DIGIT_LOOKALIKES = str.maketrans("0123456789", "OIZEASGTBG")
#: digits between letters of one word; digits at a word's edge are more often a number written
#: next to the name (``MOHAMMED2``, ``3RD``) and are dropped as before
_ANY_DIGIT = re.compile(r"\d")
_INNER_DIGITS = re.compile(r"(?<=[^\W\d_])\d+(?=[^\W\d_])")


def _digits_as_letters(text: str) -> str:
    """Digits inside a word, between its letters, as the letters they look like."""
    return _INNER_DIGITS.sub(lambda digits: digits.group().translate(_DIGIT_LOOKALIKES), text)


@functools.lru_cache(maxsize=200_000)
def normalise(text: str) -> str:
    """Any name in any script as MRZ-style words: 'José Müller-Lüdenscheidt' -> 'JOSE MUELLER
    LUEDENSCHEIDT', 'Владимир Путин' -> 'VLADIMIR PUTIN', '习近平' -> 'XI JIN PING'."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    if _ANY_DIGIT.search(text):
        text = _digits_as_letters(text)
    if text.isascii():
        return mrz_transliterate(text)
    out: list[str] = []
    serbian = not _SERBIAN_ONLY.isdisjoint(text)
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        if serbian and char in _SERBIAN_LATIN:
            out.append(_SERBIAN_LATIN[char])
            continue
        script = script_of(char)
        if script == "LATIN":
            out.append(char)  # Doc 9303 table applies below
        elif char in _ARABIC:
            out.append(_ARABIC[char].lower())
        elif char in _HEBREW:
            out.append(_HEBREW[char].lower())
        elif char in "ьъЬЪ":
            continue  # Cyrillic soft/hard signs: no letter in any Latin spelling (MARCHINSKIY)
        elif unicodedata.category(char).startswith("M"):
            continue  # harakat, niqqud and other combining marks
        elif script in ("CJK", "HANGUL"):
            # one syllable per token: Chinese and Korean names are written syllable by syllable
            out.append(" " + anyascii(char) + " ")
        else:
            out.append(anyascii(char))
    return mrz_transliterate("".join(out))


def tokens(text: str) -> list[str]:
    """Normalised words of a name, in order, titles and particles included. A lower-case letter
    followed by a capital inside a word is a word boundary whose space was lost (``SergeiLavrov``,
    ``RamiMakhlouf`` -> two tokens); prefixed surnames written that way (``McDonald``,
    ``DeVries``) still meet their one-word spelling through joined tokens in the comparison."""
    if text and not text.isupper():
        text = _CAMEL.sub(" ", text)
    return [t for t in _SPLIT.split(normalise(text)) if t]


@functools.lru_cache(maxsize=300_000)
def _part_tokens(text: str) -> tuple[str, ...]:
    """:func:`tokens` of one written name part, cached: given names and surnames repeat across
    entries and travellers far more than whole names do."""
    return tuple(tokens(text))


def _load_wade_giles() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    """``data/wade_giles.csv`` (tools/make_wade_giles_table.py): Wade-Giles spelling -> pinyin,
    for syllables written without and with the aspiration apostrophe, and every pinyin syllable."""
    lines = [line for line in _data_text("wade_giles.csv").splitlines() if line and not line.startswith("#")]
    plain: dict[str, str] = {}
    aspirated: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        (aspirated if row["aspirated"] == "1" else plain).setdefault(row["wade_giles"], row["pinyin"])
    return plain, aspirated, frozenset(plain.values()) | frozenset(aspirated.values())


_WG_PLAIN, _WG_ASPIRATED, _PINYIN = _load_wade_giles()
#: an aspirated Wade-Giles initial that our split cut off at its apostrophe (P'ING -> P ING)
_WG_ASPIRATED_INITIALS = frozenset({"P", "T", "K", "CH", "TS", "TZ"})
#: spellings that only Wade-Giles writes: HS (pinyin X), TS/TZ (Z, C), SZ/SS (S) to open a
#: syllable, IH to end one (CHIH, SHIH, JIH). Korean McCune-Reischauer, the closest system,
#: writes CH, J, -UNG and many other Wade-Giles syllables (HAN JANG SU) but none of these
_WG_MARK = re.compile(r"^(HS|TS|TZ|SZ|SS)|IH$")


def _wade_giles_syllables(tokens: tuple[str, ...]) -> tuple[list[str], bool] | None:
    """The pinyin of tokens that are all Wade-Giles syllables (None when one is not), and whether
    one of them is spelled the Wade-Giles way only (``_WG_MARK``, or written with the aspiration
    apostrophe)."""
    out: list[str] = []
    marked = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _WG_ASPIRATED_INITIALS and i + 1 < len(tokens) and token + tokens[i + 1] in _WG_ASPIRATED:
            out.append(_WG_ASPIRATED[token + tokens[i + 1]])  # P'ING, CH'IEN: written with the apostrophe
            marked = True
            i += 2
            continue
        pinyin = _WG_PLAIN.get(token)
        if pinyin is None:
            return None
        marked = marked or (token not in _PINYIN and _WG_MARK.search(token) is not None)
        out.append(pinyin)
        i += 1
    return out, marked


def wade_giles_as_pinyin(*parts: tuple[str, ...]) -> tuple[tuple[str, ...], ...] | None:
    """A Chinese name romanised in Wade-Giles (Taiwan, older lists and press: ``MAO TSE TUNG``,
    ``HSI CHIN PING``), read as pinyin (``MAO ZE DONG``, ``XI JIN BING``), part by part (surname,
    given names); None when the name is not one.

    It is one when every token is a Mandarin syllable in Wade-Giles and at least one is spelled
    the way only Wade-Giles spells (``TSE``, ``HSI``, ``SHIH``, or with the aspiration
    apostrophe): ``MAO`` or ``LI`` alone are left as written, and so is any name with a token that
    is no Mandarin syllable (``CHIANG KAI SHEK`` is Cantonese, ``KIM CHONG IL`` Korean), and a
    Korean name that happens to be made of Wade-Giles syllables (``HAN JANG SU``). Without the
    apostrophe an aspirated syllable cannot be told from an unaspirated one (``PING`` is pinyin
    bing or, as P'ING, ping); it is read unaspirated, and the other reading is one letter away
    (``JINBING``/``JINPING``, a typo-level agreement)."""
    read = [_wade_giles_syllables(part) for part in parts]
    if any(r is None for r in read) or not any(marked for _, marked in read):
        return None
    return tuple(tuple(syllables) for syllables, _ in read)


def is_particle(token: str) -> bool:
    return token in PARTICLES


def is_title(token: str) -> bool:
    return token in TITLES


#: East Slavic patronymic endings as Latin spellings write them (ICAO, BGN/PCGN, GOST, German and
#: French transliterations): masculine -OVICH/-EVICH (Ukrainian -OVYCH/-EVYCH), feminine
#: -OVNA/-EVNA (Ukrainian -IVNA) and -ICHNA (ILYINICHNA).
_PATRONYMIC_ENDINGS = ("OVICH", "EVICH", "OVYCH", "EVYCH", "OVITCH", "EVITCH", "OWITSCH", "EWITSCH",
                       "OVNA", "EVNA", "IVNA", "ICHNA")


@functools.lru_cache(maxsize=200_000)
def is_patronymic(token: str) -> bool:
    """Does the token look like an East Slavic patronymic (``VIKTOROVICH``, ``OLEKSANDROVYCH``,
    ``PETROVNA``)? Lists record the patronymic; the passport's machine-readable zone, and so the
    airline's data, does not (Russian, Ukrainian and Belarusian travel documents write surname
    and given name only). At least three letters before the ending: ``DIVNA`` is a given name."""
    return token.endswith(_PATRONYMIC_ENDINGS) and \
        any(token.endswith(end) and len(token) >= len(end) + 3 for end in _PATRONYMIC_ENDINGS)


_SKELETON_RULES = (
    ("SCH", "S"), ("TCH", "C"), ("TSCH", "C"), ("CH", "C"), ("SH", "S"), ("ZH", "J"), ("DJ", "J"),
    ("DZ", "J"), ("KH", "H"), ("GH", "G"), ("PH", "F"), ("TH", "T"), ("DH", "D"), ("CK", "K"),
    ("TS", "S"), ("TZ", "S"), ("Q", "K"), ("X", "KS"), ("C", "K"), ("Z", "S"), ("W", "V"),
)
_VOWELS = frozenset("AEIOUY")
_GLIDE_BEFORE_J = frozenset("EIY")
_PINYIN_X = frozenset({"XI", "XU"})


def joined_skeleton(text: str) -> str:
    """:func:`skeleton` of tokens run together (``ABDUL`` + ``RAHMAN``), not cached: such strings
    rarely repeat, and a million-entry list has more of them than any cache holds; passing them
    through :func:`skeleton`'s cache would only push the tokens' skeletons out of it."""
    return _skeleton(text)


@functools.lru_cache(maxsize=500_000)
def skeleton(token: str) -> str:
    """Consonant skeleton of a token: a phonetic key that absorbs vowel spellings, doubled
    letters and common transliteration digraphs. 'MOHAMMED', 'MUHAMMAD', 'MOHAMAD' -> 'MHMD';
    'SERGEY', 'SERGEI', 'SERGEJ' -> 'SRG'; 'ABDULLAH', 'ABDALLA' -> 'ABDL'. A leading vowel is kept
    as 'A' (so 'OSAMA' and 'USAMA' agree but differ from 'SAMA')."""
    return _skeleton(token)


def _skeleton(token: str) -> str:
    s = KOREAN_SURNAMES.get(token, token)
    if len(s) >= 5 and s[-1] == "J" and s[-2] in _GLIDE_BEFORE_J:
        # German, Czech, Polish and Serbo-Croatian spellings write the final y-glide (Cyrillic Й)
        # as J where English writes Y or I: SELENSKYJ, SERGEJ, DMITRIJ are ZELENSKYY, SERGEY,
        # DMITRIY. Only after E, I, Y: after A the J is real (RAJ, SIRAJ, YUVRAJ), and after O or
        # U it is mostly an Arabic-script name's jim after waw (SHINGHUJ), so TOLSTOJ keeps its J.
        s = s[:-1]
    if s[:2] in _PINYIN_X:
        # pinyin X (only ever before I or U: XI, XU, XIAO, XIONG) writes the sound other
        # spellings write SH or S (XI JINPING = SHI JINPING); elsewhere X stays KS (XENIA =
        # KSENIA). Not Wade-Giles HS: transliterated Arabic script starts with HS too (HSIN,
        # Husayn, would lose its H)
        s = "S" + s[1:]
    for old, new in _SKELETON_RULES:
        if old in s:
            s = s.replace(old, new.lower() if new == "C" else new)
    s = s.replace("c", "C")
    if len(s) > 1 and s.endswith("H"):
        s = s[:-1]
    out = ["A"] if s and s[0] in _VOWELS else []
    for ch in s:
        if ch in _VOWELS:
            continue
        if out and out[-1] == ch:
            continue
        out.append(ch)
    return "".join(out) or token[:1]


_COARSE = str.maketrans({"P": "B", "F": "B", "V": "B", "T": "D", "K": "G", "Q": "G", "C": "S", "J": "S",
                         "Z": "S", "X": "S", "R": "L", "H": None, "A": None})


@functools.lru_cache(maxsize=200_000)
def coarse(token: str) -> str:
    """A coarser phonetic key for names that went through a syllabic or consonant-poor script
    (Chinese, Korean, Japanese): those scripts do not tell R from L, P from B or F, T from D, K
    from G, and spell S/Z/J/CH with one sign, so ``BARACK`` comes back as ``BALAKE`` (Chinese)
    or ``BEORAK`` (Korean). The skeleton's consonants are folded into those classes, H dropped,
    repeats merged: ``BARACK``, ``BALAKE``, ``BEORAK`` -> ``BLG``."""
    return coarse_of_skeleton(skeleton(token))


def coarse_of_skeleton(sk: str) -> str:
    """:func:`coarse` from a token's :func:`skeleton` (uncached: for joined names, which rarely
    repeat, when the skeleton is already at hand)."""
    folded = sk.translate(_COARSE)
    out = []
    for ch in folded:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class NameForm:
    """One spelling of a person's name, ready to compare.

    ``tokens`` are normalised words in written order, titles removed, repeats removed;
    ``surname`` flags the tokens that came from a surname field (when the source had one);
    ``loose`` is true when the name was written in a script without vowels or with syllables that
    change consonants (Arabic, Hebrew, kana, ...), so comparisons trust consonant skeletons more;
    ``low_quality`` marks a weak alias (list data's own quality flag)."""
    tokens: tuple[str, ...]
    surname: tuple[bool, ...]
    loose: bool = False
    low_quality: bool = False
    original: str = ""
    #: per token, is it a particle here; empty: every token spelled like a particle is one (the
    #: usual case, see :func:`particle_flags`)
    particles: tuple[bool, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tokens)


def particle_flags(form: NameForm) -> tuple[bool, ...]:
    """Per token of ``form``: is it a particle (weighted low, never a key)? A token spelled like a
    particle is one unless :func:`name_form` found it opening the given names (``VAN`` in
    Vietnamese ``VAN DUC``)."""
    return form.particles or _particle_flags(form.tokens)


@functools.lru_cache(maxsize=200_000)
def _particle_flags(tokens: tuple[str, ...]) -> tuple[bool, ...]:
    return tuple(t in PARTICLES for t in tokens)


_LOOSE_SCRIPTS = frozenset({"ARABIC", "HEBREW", "KATAKANA", "HIRAGANA", "HANGUL", "CJK", "ETHIOPIC"}) | _ABUGIDAS


_SYLLABIC_SCRIPTS = frozenset({"KATAKANA", "HIRAGANA", "HANGUL", "CJK"})


def syllabic(text: str) -> bool:
    """Written in Chinese characters, hangul or kana (where :func:`coarse` keys apply)?"""
    return not text.isascii() and any(script_of(ch) in _SYLLABIC_SCRIPTS for ch in text if ch.isalpha())


def _latin_only(text: str | None) -> bool:
    """Written in Latin letters only (or empty)?"""
    return not text or text.isascii() or all(script_of(ch) == "LATIN" for ch in text if ch.isalpha())


def _is_loose(text: str) -> bool:
    return not text.isascii() and any(script_of(ch) in _LOOSE_SCRIPTS for ch in text if ch.isalpha())


@functools.lru_cache(maxsize=300_000)
def name_form(surname: str | None = None, given_names: str | None = None, full_name: str | None = None,
              low_quality: bool = False) -> NameForm:
    """A :class:`NameForm` from a surname + given names, or from a whole name when those are empty.
    Titles are dropped unless they are all there is."""
    given_name_particle = None
    if surname or given_names:
        given_tokens, surname_tokens = _part_tokens(given_names or ""), _part_tokens(surname or "")
        if _latin_only(given_names) and _latin_only(surname):
            pinyin = wade_giles_as_pinyin(given_tokens, surname_tokens)
            if pinyin is not None:
                given_tokens, surname_tokens = pinyin
        parts = [(t, False) for t in given_tokens] + [(t, True) for t in surname_tokens]
        original = f"{given_names} {surname}" if given_names and surname else (given_names or surname)
        if given_tokens and (given_tokens[0] in PARTICLES or given_tokens[0] in TITLES):
            given = [t for t in given_tokens if t not in TITLES]
            if given and given[0] in PARTICLES and (len(given) == 1 or given[1] not in PARTICLES) \
                    and any(t not in PARTICLES for t in surname_tokens):
                # a particle prefixes a surname (VAN GOGH, AL ASSAD, DE LEON); one that opens the
                # given names (alone or before another given name) while the surname has its own
                # field is a given name: Vietnamese VAN (Văn: VAN DUC / NGUYEN), BEN, ABU BAKR
                given_name_particle = given[0]
    else:
        whole = _part_tokens(full_name or "")
        pinyin = wade_giles_as_pinyin(whole) if _latin_only(full_name) else None
        parts = [(t, False) for t in (whole if pinyin is None else pinyin[0])]
        original = full_name or ""
    kept = [(t, s) for t, s in parts if t not in TITLES] or parts
    seen: set[str] = set()
    out: list[tuple[str, bool]] = []
    repeats_allowed = syllabic(original)  # 巴拉克奥巴马: BA ... BA are two syllables, not a repeat
    for token, is_surname in kept:
        if token in seen and not repeats_allowed:
            continue
        seen.add(token)
        out.append((token, is_surname))
    flags: tuple[bool, ...] = ()
    if given_name_particle is not None and out and out[0][0] == given_name_particle and not out[0][1]:
        flags = (False,) + tuple(t in PARTICLES for t, _ in out[1:])
    name_tokens, surname_flags = tuple(zip(*out)) if out else ((), ())
    return NameForm(
        tokens=name_tokens, surname=surname_flags,
        loose=_is_loose(original), low_quality=low_quality, original=original, particles=flags,
    )
