"""Jinja helpers: language, direction, localized fields and dates in the event's timezone."""

from __future__ import annotations

from flask import Flask, request, url_for
from markupsafe import Markup

from . import i18n
from .services.richtext import sanitize


def switch_language_url(lang: str) -> str:
    """The current page in another language (keeps the path and the query string)."""
    if request.endpoint and request.view_args is not None and request.url_rule:
        args = dict(request.view_args)
        if "lang" in request.url_rule.arguments:
            args["lang"] = lang
            args.update(request.args.to_dict(flat=True))
            try:
                return url_for(request.endpoint, **args)
            except Exception:  # noqa: BLE001,S110 - fall back to the home page
                pass
    return url_for("public.index", lang=lang)


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject():
        lang = i18n.current_language()
        return {
            "lang": lang,
            "text_dir": i18n.text_direction(lang),
            "languages": i18n.LANGUAGES,
            "language_names": i18n.LANGUAGE_NAMES,
            "switch_language_url": switch_language_url,
        }

    app.jinja_env.filters["localize"] = lambda value, fallback=None: i18n.localize(
        value, None, fallback
    )
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    app.jinja_env.globals.update(
        fmt_time=i18n.fmt_time,
        fmt_datetime=i18n.fmt_datetime,
        fmt_date=i18n.fmt_date,
        fmt_number=i18n.fmt_number,
        tz_label=i18n.tz_label,
        country_name=i18n.country_name,
        localize=i18n.localize,
        utc_to_local=i18n.utc_to_local,
    )
    app.jinja_env.filters["safe_html"] = lambda html: Markup(sanitize(html))  # noqa: S704
