"""Schedule feeds for conference apps: frab/voc schedule.xml and schedule.json per language."""

from __future__ import annotations

import json

from flask import Response, current_app, request, url_for

from ..extensions import db
from ..i18n import LANGUAGES, current_language
from ..services import agenda_view, schedule_feed
from ..services.events import get_published_or_404
from . import bp


def _feed_language() -> str:
    """The URL's language, or ``?lang=ar|en|fr`` for a variant (unknown values are ignored)."""
    wanted = request.args.get("lang", "")
    return wanted if wanted in LANGUAGES else current_language()


def _build(event, lang: str) -> dict:
    links = schedule_feed.FeedLinks(
        event=url_for("public.event", slug=event.slug, lang=lang, _external=True),
        session=lambda key: url_for(
            "public.session_detail", slug=event.slug, key=key, lang=lang, _external=True
        ),
        speaker=lambda key: url_for(
            "public.speaker", slug=event.slug, key=key, lang=lang, _external=True
        ),
    )
    days = agenda_view.load_agenda(db.session, event)
    return schedule_feed.build_schedule(event, days, lang, links)


def _feed(slug: str, fmt: str, write, mimetype: str) -> Response:
    """ETag from the agenda version and language, Last-Modified from the event; 304 when fresh.

    The schedule is built only when the client's copy is stale.
    """
    event = get_published_or_404(slug)
    lang = _feed_language()
    response = Response()
    response.set_etag(f"{event.slug}-{event.agenda_version}-{lang}-{fmt}")
    response.last_modified = event.updated_at
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config.get("PUBLIC_CACHE_MAX_AGE", 60)
    response.make_conditional(request)
    if response.status_code == 304:
        return response
    response.set_data(write(_build(event, lang)))
    response.mimetype = mimetype
    return response


@bp.get("/events/<slug>/schedule.xml")
def schedule_xml(slug):
    return _feed(slug, "xml", schedule_feed.to_xml, "application/xml")


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug):
    def write(schedule: dict) -> bytes:
        return json.dumps(schedule_feed.to_json(schedule), ensure_ascii=False, indent=1).encode()

    return _feed(slug, "json", write, "application/json")
