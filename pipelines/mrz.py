"""ICAO Doc 9303 machine-readable-zone rules: the A-Z transliteration airlines send names in, and
the 7-3-1 check digits.

Used by the generator (to write names and MRZ lines as carriers do), the validator (to verify
check digits) and screening (so a list name in any Latin spelling meets its passport spelling).
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

#: Doc 9303 Part 3, section 6: recommended transliterations where the plain base letter would lose
#: information. Everything else falls back to the letter without its diacritic.
DOC9303_LATIN = {
    "Ä": "AE", "Å": "AA", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Ü": "UE", "Þ": "TH", "Ñ": "N",
    "ß": "SS", "Œ": "OE", "Ð": "D", "Đ": "D", "Ł": "L", "Ĳ": "IJ", "Ħ": "H", "Ŀ": "L", "Ŧ": "T",
}

_FILLER = "<"
_NOT_MRZ = re.compile(r"[^A-Z0-9<]")
_SPACES = re.compile(r"[\s\-'’.,]+")
_NOT_LETTER = re.compile(r"[^A-Z]")


def transliterate(name: str) -> str:
    """A name in MRZ characters, words separated by spaces: 'Müller-Lüdenscheidt' -> 'MUELLER LUEDENSCHEIDT'.

    Latin letters with diacritics follow Doc 9303's table; other scripts go through unidecode, a
    reasonable stand-in for the national transliteration a passport office would use.
    """
    upper = (name if name.isascii() else unicodedata.normalize("NFC", name)).upper()
    if upper.isascii():
        ascii_text = upper  # the table and unidecode change only non-ASCII letters: nothing to do
    else:
        mapped = "".join(DOC9303_LATIN.get(ch, ch) for ch in upper)
        ascii_text = unidecode(mapped).upper()
    words = _SPACES.sub(" ", ascii_text)
    return " ".join(w for w in (_NOT_LETTER.sub("", word) for word in words.split()) if w)


def check_digit(field: str) -> int:
    """Doc 9303 check digit: weights 7, 3, 1 repeating; 0-9 keep their value, A-Z are 10-35, '<' is 0."""
    total = 0
    for position, char in enumerate(field):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - 55
        elif char == _FILLER:
            value = 0
        else:
            raise ValueError(f"{char!r} is not an MRZ character")
        total += value * (7, 3, 1)[position % 3]
    return total % 10


def _pad(text: str, width: int) -> str:
    return (_NOT_MRZ.sub(_FILLER, text.upper()) + _FILLER * width)[:width]


def td3_line2(document_number: str, nationality: str, date_of_birth: str, sex: str,
              expiry_date: str, optional_data: str = "") -> str:
    """Second MRZ line of a TD3 passport (44 characters) from ISO dates (YYYY-MM-DD)."""
    number = _pad(document_number, 9)
    dob = date_of_birth[2:4] + date_of_birth[5:7] + date_of_birth[8:10]
    expiry = expiry_date[2:4] + expiry_date[5:7] + expiry_date[8:10]
    optional = _pad(optional_data, 14)
    optional_check = _FILLER if set(optional) == {_FILLER} else str(check_digit(optional))
    sex_code = sex if sex in ("M", "F") else _FILLER
    line = (number + str(check_digit(number)) + _pad(nationality, 3) + dob + str(check_digit(dob))
            + sex_code + expiry + str(check_digit(expiry)) + optional + optional_check)
    composite = line[0:10] + line[13:20] + line[21:43]
    return line + str(check_digit(composite))


def td3_line2_errors(line: str) -> list[str]:
    """Which check digits of a TD3 second line fail: names among 'document_number', 'date_of_birth',
    'expiry_date', 'optional_data', 'composite', or 'format' when the line is not 44 MRZ characters."""
    if len(line) != 44 or _NOT_MRZ.search(line):
        return ["format"]
    checks = {
        "document_number": (line[0:9], line[9]),
        "date_of_birth": (line[13:19], line[19]),
        "expiry_date": (line[21:27], line[27]),
    }
    errors = [name for name, (field, digit) in checks.items() if not _digit_matches(field, digit)]
    optional, optional_digit = line[28:42], line[42]
    if not (set(optional) == {_FILLER} and optional_digit in (_FILLER, "0")) and not _digit_matches(optional, optional_digit):
        errors.append("optional_data")
    composite = line[0:10] + line[13:20] + line[21:43]
    if not _digit_matches(composite, line[43]):
        errors.append("composite")
    return errors


def _digit_matches(field: str, digit: str) -> bool:
    return digit.isdigit() and check_digit(field) == int(digit)
