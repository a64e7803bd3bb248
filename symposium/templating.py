"""Jinja helpers: language, direction, localized fields and dates in the event's timezone."""

from __future__ import annotations

from flask import Flask, before_render_template, g, request, template_rendered, url_for
from jinja2 import pass_context
from markupsafe import Markup

from . import i18n
from .models import Event
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


def _numbering(context) -> str | None:
    """The digits of the event a template shows (its ``event`` variable), if any."""
    event = context.get("event")
    return i18n.event_numbering(event) if isinstance(event, Event) else None


@pass_context
def fmt_time(context, dt, tzname, lang=None, numbering=None):
    return i18n.fmt_time(dt, tzname, lang, numbering or _numbering(context))


@pass_context
def fmt_datetime(context, dt, tzname, lang=None, fmt="medium", numbering=None):
    return i18n.fmt_datetime(dt, tzname, lang, fmt, numbering or _numbering(context))


@pass_context
def fmt_date(context, d, lang=None, fmt="full", numbering=None):
    return i18n.fmt_date(d, lang, fmt, numbering or _numbering(context))


@pass_context
def fmt_number(context, n, lang=None, numbering=None):
    return i18n.fmt_number(n, lang, numbering or _numbering(context))


def _event_digits(sender, template, context, **extra) -> None:
    """While a template of one event renders, every number, date and time (also those formatted
    by Python helpers the template calls) takes that event's digits; restored afterwards."""
    g.setdefault("numbering_stack", []).append(getattr(g, "numbering", None))
    event = context.get("event")
    if isinstance(event, Event):
        g.numbering = i18n.event_numbering(event)


def _restore_digits(sender, template, context, **extra) -> None:
    stack = g.get("numbering_stack")
    if not stack:
        return
    previous = stack.pop()
    if previous is None:
        g.pop("numbering", None)
    else:
        g.numbering = previous


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
        fmt_time=fmt_time,
        fmt_datetime=fmt_datetime,
        fmt_date=fmt_date,
        fmt_number=fmt_number,
        tz_label=i18n.tz_label,
        country_name=i18n.country_name,
        localize=i18n.localize,
        utc_to_local=i18n.utc_to_local,
    )
    app.jinja_env.filters["safe_html"] = lambda html: Markup(sanitize(html))  # noqa: S704
    # Lists of names, places or roles in the page's language: {{ names|join_list }}
    app.jinja_env.filters["join_list"] = lambda items, style="standard": i18n.join_list(
        list(items or ()), None, style
    )
    # Parts of one thing (a city and its country): {{ [city, country]|join_parts }}
    app.jinja_env.filters["join_parts"] = lambda items, lang=None: i18n.join_apposition(
        list(items or ()), lang
    )
    # No «؟.» when a sentence ends with a title that ends in punctuation
    app.jinja_env.filters["tidy"] = i18n.tidy_punctuation
    before_render_template.connect(_event_digits, app)
    template_rendered.connect(_restore_digits, app)
