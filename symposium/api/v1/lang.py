"""The API's language: ``?lang=`` (ar, en, fr, or all for whole multilingual fields), else
Accept-Language; messages follow the same choice (English when nothing fits)."""

from __future__ import annotations

from flask import g, request
from flask_babel import refresh

from ...i18n import LANGUAGES


def choose_language() -> None:
    wanted = request.args.get("lang", "")
    messages = wanted if wanted in LANGUAGES else None
    messages = messages or request.accept_languages.best_match(LANGUAGES) or "en"
    g.api_lang = wanted if wanted == "all" else messages
    g.lang = messages
    refresh()
