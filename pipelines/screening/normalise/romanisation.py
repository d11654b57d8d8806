"""Name parts that other romanisation systems spell with other consonants.

The consonant :func:`~pipelines.screening.normalise.names.skeleton` absorbs vowel spellings and
transliteration digraphs, but two systems can also write a *consonant* differently, and the
skeletons then differ:

* **Korean** (McCune-Reischauer, the system of North Korea, older lists and most passports issued
  before 2000, against Revised Romanization, South Korea's since 2000): MR writes the plain stops
  at the start of a syllable as ``K``, ``T``, ``P``, ``CH`` (the aspirated ones with an
  apostrophe, ``K'``, ``CH'``), RR as ``G``, ``D``, ``B``, ``J`` (and the aspirated ones as
  ``K``, ``CH``). So one name is ``CHONG``/``JEONG``/``JUNG``/``CHUNG``, ``CHO``/``JO``,
  ``KO``/``GO``, ``PAK``/``BAK``, ``TONG``/``DONG``. A token that is one Korean syllable (an
  initial, a vowel and a final as MR, RR or the customary passport spellings write them) is read
  with that initial folded (``K``=``G``, ``T``=``D``, ``P``=``B``, ``CH``=``J``) and compared on
  that reading; both tokens must be such syllables. Given names the nickname table knows
  (``TOM``, ``DAN``, ``KIT``) are left alone: they are English names before they are Korean
  syllables. MR's vowel marks (``Ŏ``, ``Ŭ``, written ``O'``, ``U'`` in ASCII: ``CH'O'L``,
  ``MYO'NG``) need nothing here: the apostrophe splits the token and the comparison joins the
  pieces again (``CH O L`` ~ ``CHEOL``).
* **Somali** (the official Latin orthography since 1972): ``X`` writes the pharyngeal ḥ that
  other romanisations of the same Arabic names write ``H`` (``MAXAMED`` = ``MOHAMED``, ``XASAN``
  = ``HASSAN``, ``ABDIRAXMAAN`` = ``ABDIRAHMAN``), and ``C`` the ʿayn that they leave out
  (``CABDULLAHI`` = ``ABDULLAHI``, ``CALI`` = ``ALI``). A token with nothing the Somali
  alphabet lacks (``P``, ``V``, ``Z``, or ``C`` in a digraph: ``CH``, ``CK``, ``SC``) is also
  read that way when it has an ``X`` (five letters or more, not at the end: ``FELIX``; a pinyin
  ``XUAN`` is left to the pinyin rule), or a ``C`` and a Somali long vowel (``AA``, ``II``,
  ``UU``, ``OO``, ``EE``: ``CISMAAN``, ``CAASHA``), or opens with ``C`` before a vowel and the
  rest is a name the population table knows in its other spelling (``CALI``, ``CUMAR``). An
  English or Spanish ``C`` (``CAROLINE``, ``CARMEN``) is a K or an S, so a ``C`` alone is not
  enough; one dropped ``C`` in a long token is a one-letter difference the typo level already
  scores (``CABDULLAHI``/``ABDULLAHI`` 0.84). The reading's skeleton is compared with the other
  token's own.

:func:`romanisation_key` gives what the compiled comparison interns per token
(:mod:`pipelines.screening.engine.compiled.fast_names`, the column it also uses for Korean
surname spellings): two tokens agree at the phonetic level when their keys are equal, or when
one's key is the other's skeleton.
"""

from __future__ import annotations

import functools
import re

from pipelines.screening.normalise.name_frequency import population_share
from pipelines.screening.normalise.names import KOREAN_SURNAMES, skeleton
from pipelines.screening.normalise.nicknames import groups_of

__all__ = ["korean_syllable", "romanisation_key", "somali_reading"]

# one Korean syllable as MR, RR or customary passport spellings write it: initial, vowel, final
_KOREAN_INITIALS = "TCH|KK|TT|PP|SS|JJ|CH|SH|K|G|N|T|D|R|L|M|P|B|S|J|H"
_KOREAN_VOWELS = ("YAE|YEO|YOO|YOU|WAE|WEO|EUI|AE|YA|EO|YE|YO|WA|OE|WO|WE|WI|YU|EU|UI|OO|OU|EE|AI|OI|"
                  "A|E|O|U|I")
_KOREAN_FINALS = "NG|K|N|T|L|M|P|H"
_KOREAN_SYLLABLE = re.compile(f"^(?:{_KOREAN_INITIALS})?(?:{_KOREAN_VOWELS})(?:{_KOREAN_FINALS})?$")
#: MR's plain stops and RR's letters for them, as the skeleton writes them (CH is C there)
_KOREAN_FOLD = {"K": "G", "T": "D", "P": "B", "C": "J"}
#: letters and digraphs the Somali alphabet does not write
_NOT_SOMALI = re.compile(r"[PVZ]|CH|CK|SC")
_SOMALI_LONG_VOWEL = re.compile(r"AA|II|UU|OO|EE")


def korean_syllable(token: str) -> bool:
    """Is ``token`` one Korean syllable as a romanisation writes it (``CHUNG``, ``JEONG``, ``KO``,
    ``MYEONG``), or a Korean surname spelling of :data:`~names.KOREAN_SURNAMES` (``LEE``,
    ``PARK``)?"""
    return bool(_KOREAN_SYLLABLE.match(token)) or token in KOREAN_SURNAMES or token in _SURNAME_SPELLINGS


_SURNAME_SPELLINGS = frozenset(KOREAN_SURNAMES.values())


def somali_reading(token: str) -> str | None:
    """``token`` read in Somali orthography (``X`` as ``H``, ``C`` as the ʿayn other spellings
    leave out), or None when it cannot be Somali or reads the same (see the module docstring)."""
    if len(token) < 4 or _NOT_SOMALI.search(token):
        return None
    has_x = len(token) >= 5 and "X" in token[:-1]
    has_c = "C" in token and (has_x or _SOMALI_LONG_VOWEL.search(token) is not None)
    if not has_x and not has_c:
        # an opening C before a vowel, where the rest is a name known in another spelling:
        # CALI = ALI, CUMAR = UMAR, CABDI = ABDI
        if token[0] == "C" and token[1] in "AEIOU" and "C" not in token[1:] and population_share(token[1:]) > 0:
            return token[1:]
        return None
    read = token[:-1].replace("X", "H") + token[-1] if has_x else token
    if has_c:
        read = read.replace("C", "")
    return read if read and read != token else None


@functools.lru_cache(maxsize=200_000)
def romanisation_key(token: str) -> str | None:
    """What the compiled comparison interns for ``token`` beside its skeleton (None: the token
    itself): a Korean syllable's skeleton with MR's initial folded into RR's, marked ``~`` so it
    only ever equals another Korean syllable's key; else the skeleton of the Somali reading,
    compared with the other token's skeleton."""
    if token in KOREAN_SURNAMES or token in _SURNAME_SPELLINGS or \
            (_KOREAN_SYLLABLE.match(token) and not groups_of(token)):
        sk = skeleton(token)
        first = sk[:1]
        return "~" + _KOREAN_FOLD.get(first, first) + sk[1:]
    read = somali_reading(token)
    if read is not None:
        sk = skeleton(read)
        # a reading of one consonant meets too many names, unless it is a known name (CALI = ALI)
        if sk != skeleton(token) and (sum(ch != "A" for ch in sk) >= 2 or population_share(read) > 0):
            return sk
    return None
