"""The review's languages: English, French and Spanish from gettext catalogs.

The catalogs are ``translations/<lang>/LC_MESSAGES/messages.po`` (compiled to ``.mo`` beside
them); English is the source text. The web app reads them through Flask-Babel, the command line
through ``translator(language)``. To add or change a text, extract and update:

    pybabel extract -F pipelines/review/babel.cfg -k lazy_gettext -o /tmp/messages.pot .
    pybabel update -i /tmp/messages.pot -d pipelines/review/translations
    pybabel compile -d pipelines/review/translations

(``tests/review/test_review_i18n.py`` fails when a text has no translation or a ``.mo`` is stale.)
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Callable

__all__ = ["LANGUAGES", "TRANSLATIONS_DIR", "translator", "language_from_environment"]

LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


@functools.lru_cache(maxsize=8)
def translator(language: str | None) -> Callable[[str], str]:
    """``gettext`` for a language (unknown languages and English give the text unchanged)."""
    from babel.support import NullTranslations, Translations

    if language not in LANGUAGES or language == "en":
        return NullTranslations().gettext
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages").gettext


def language_from_environment() -> str:
    """The language of ``PAXSHARE_LANG`` or the locale (``LANG=fr_CA.UTF-8`` -> fr); else English."""
    for name in ("PAXSHARE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        code = (os.environ.get(name) or "")[:2].lower()
        if code in LANGUAGES:
            return code
    return "en"
