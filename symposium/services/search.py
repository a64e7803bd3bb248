"""Arabic-aware search: fold names so that spelling variants match.

A query matches when every one of its words is found, in any order, in the folded key stored
beside the row (``Registration.search_text``, ``Person.search_key``), with SQL ``LIKE`` so the
search stays in the database. Folding makes these equal:

- Arabic: alef and hamza forms (أ إ آ ٱ ا), taa marbuta and haa (ة ه), alef maqsura and yaa
  (ى ي), with or without diacritics (harakat, shadda, sukun, superscript alef) and tatweel;
  names written with or without the space after عبد / أبو / ابو / بن / ابن / أم / ال
  («عبد الله» = «عبدالله»: the space is dropped in the key and in the query);
- digits: Arabic-Indic (٠-٩) and Persian (۰-۹) digits are Latin digits;
- Latin: case, accents (é -> e, ễ -> e), and hyphens or apostrophes («Dupré-Nguyễn» ->
  «dupre nguyen»).

The keys are computed here only; a change to the folding needs the stored keys refreshed
(``refresh_keys``; migration 0004 did it once).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Boolean, String, and_, false, literal, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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
        # Arabic-Indic and Persian (extended) digits -> 0-9
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        # Latin letters that do not decompose into letter + accent
        "đ": "d",
        "Đ": "d",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "ı": "i",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        # word joiners written or not: hyphens are spaces, apostrophes vanish
        "-": " ",
        "\u2010": " ",
        "\u2011": " ",
        "\u2012": " ",
        "\u2013": " ",
        "\u2014": " ",
        "'": "",
        "\u2019": "",
        "\u02bc": "",
        "`": "",
    }
)
_BIDI_AND_ZW = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Words (folded) that are written with or without a space before the next word
_JOINED_PREFIXES = frozenset({"عبد", "ابو", "بن", "ابن", "ام", "ال"})


def _fold_chars(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _BIDI_AND_ZW.sub("", text).replace(_TATWEEL, "")
    text = _ARABIC_DIACRITICS.sub("", text)
    text = text.translate(_FOLD)
    # Latin: drop accents, case-fold
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text).casefold()


def _join_prefixes(words: list[str]) -> list[str]:
    """«عبد» «الله» -> «عبدالله»; «ابو» «بكر» -> «ابوبكر»; chains too («عبد» «ال» «رحمن»)."""
    out: list[str] = []
    carry = ""
    for word in words:
        if word in _JOINED_PREFIXES:
            carry += word
            continue
        out.append(carry + word)
        carry = ""
    if carry:
        out.append(carry)
    return out


def fold(text: str | None) -> str:
    """A search key: compare ``fold(query) in fold(name)`` (word by word: ``query_words``)."""
    if not text:
        return ""
    return " ".join(_join_prefixes(_fold_chars(text).split()))


def search_text(*parts: str | None) -> str:
    """The folded text stored beside a row (e.g. Registration.search_text) for LIKE queries."""
    return " | ".join(fold(p) for p in parts if p)


def query_words(query: str | None) -> list[str]:
    """The folded words of a query, each to be found somewhere in the key (any order)."""
    words = []
    for word in fold(query).split():
        if word not in words:
            words.append(word)
    return words[:12]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(query: str) -> str:
    """A LIKE pattern for a folded query, with LIKE wildcards escaped (use escape='\\\\').

    The words must appear in this order; ``matches`` accepts any order.
    """
    return "%" + "%".join(_escape_like(w) for w in query_words(query)) + "%"


class contains_text(FunctionElement):
    """``haystack`` contains ``needle`` literally: ``instr()`` on SQLite, ``strpos()`` on
    PostgreSQL -- cheaper than ``LIKE '%…%'`` (no pattern, no wildcards to escape)."""

    type = Boolean()
    inherit_cache = True
    name = "contains_text"


@compiles(contains_text)
def _contains_default(element, compiler, **kw):
    haystack, needle = list(element.clauses)
    return f"(instr({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0)"


@compiles(contains_text, "postgresql")
def _contains_postgresql(element, compiler, **kw):
    haystack, needle = list(element.clauses)
    return f"(strpos({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0)"


def matches(column, query: str | None):
    """An SQL condition: every word of ``query`` is in the folded key ``column`` (any order).

    An empty query matches nothing (``false()``)."""
    words = query_words(query)
    if not words:
        return false()
    return and_(true(), *(contains_text(column, literal(w, String)) for w in words))


def person_key(person) -> str:
    """The search key of a speaker: their name in every language, organisation and email."""
    parts: list[str] = []
    for field in (person.name, person.organisation):
        for value in (field or {}).values():
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
    if person.email:
        parts.append(person.email)
    return search_text(*parts)


def refresh_keys(session) -> int:
    """Recompute every stored key (after a change to the folding); returns the rows changed."""
    from sqlalchemy import select

    from ..models import Person, Registration

    changed = 0
    for registration in session.scalars(select(Registration)):
        if registration.anonymised_at is not None:
            continue
        key = search_text(registration.full_name, registration.email)
        if registration.search_text != key:
            registration.search_text = key
            changed += 1
    for person in session.scalars(select(Person)):
        key = person_key(person)
        if person.search_key != key:
            person.search_key = key
            changed += 1
    session.flush()
    return changed


def _keep_person_key(mapper, connection, target) -> None:
    target.search_key = person_key(target)


def _install_listeners() -> None:
    from sqlalchemy import event

    from ..models import Person

    if not event.contains(Person, "before_insert", _keep_person_key):
        event.listen(Person, "before_insert", _keep_person_key)
        event.listen(Person, "before_update", _keep_person_key)


_install_listeners()
