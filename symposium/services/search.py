"""Arabic-aware search: fold names so that spelling variants match.

Matches across alef and hamza forms (أ إ آ ٱ ا), taa marbuta and haa (ة ه), alef maqsura and
yaa (ى ي), with or without diacritics (harakat, shadda, sukun, superscript alef) and tatweel.
Latin text is case-folded and accents removed (é -> e).
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_FOLD = str.maketrans(
    {
        "\u0623": "\u0627",  # أ -> ا
        "\u0625": "\u0627",  # إ -> ا
        "\u0622": "\u0627",  # آ -> ا
        "\u0671": "\u0627",  # ٱ -> ا
        "\u0672": "\u0627",
        "\u0673": "\u0627",
        "\u0629": "\u0647",  # ة -> ه
        "\u0649": "\u064a",  # ى -> ي
        "\u0624": "\u0648",  # ؤ -> و
        "\u0626": "\u064a",  # ئ -> ي
        "\u06cc": "\u064a",  # Persian yeh -> ي
        "\u06a9": "\u0643",  # keheh -> ك
    }
)
_BIDI_AND_ZW = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def fold(text: str | None) -> str:
    """A search key: compare ``fold(query) in fold(name)``."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _BIDI_AND_ZW.sub("", text).replace(_TATWEEL, "")
    text = _ARABIC_DIACRITICS.sub("", text)
    text = text.translate(_FOLD)
    # Latin: drop accents, case-fold
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(text.split())


def search_text(*parts: str | None) -> str:
    """The folded text stored beside a row (e.g. Registration.search_text) for LIKE queries."""
    return " | ".join(fold(p) for p in parts if p)


def like_pattern(query: str) -> str:
    """A LIKE pattern for a folded query, with LIKE wildcards escaped (use escape='\\\\')."""
    q = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{q}%"
