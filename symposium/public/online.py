"""The personal join link of a session: /<lang>/r/<token>/join/<session key>.

Inside the join window it records the join and sends the registrant to the meeting (303,
nothing cached, no referrer); before it, a countdown page in the event's time and the
visitor's own; after the session, a page saying it has ended, with its recording if any.
Refused joins get a translated page and never the meeting's address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_timedelta, get_timezone_gmt
from flask import Response, abort, g, redirect, render_template, request
from sqlalchemy import select

from ..extensions import db
from ..i18n import event_numbering, fmt_number, utc_to_local
from ..models import Session
from ..services import online
from . import bp
from .registration import _no_store, _own


@bp.app_template_global("online_join_links")
def online_join_links(registration, lang: str | None = None) -> list[online.JoinLink]:
    """The personal join links of a registration, for the self-service page and emails."""
    return online.join_links(registration, lang or getattr(g, "lang", None))


@bp.app_template_global("online_settings")
def online_settings(event) -> online.OnlineSettings:
    return online.get_settings(event)


def _page(template_state: str, registration, item, status: int = 200, **context) -> Response:
    response = Response(
        render_template(
            "public/join.html",
            state=template_state,
            registration=registration,
            event=registration.event,
            item=item,
            noindex=True,
            **context,
        ),
        status=status,
    )
    return _no_store(response)


def _zone_offset(dt: datetime, tzname: str, lang: str) -> str:
    """The UTC offset of ``tzname`` at ``dt``, localized ("GMT+03:00", "UTC+03:00")."""
    return get_timezone_gmt(utc_to_local(dt, tzname), width="long", locale=lang)


def _time_left(delta: timedelta, event, lang: str) -> str:
    """The time left, rounded ("2 hours", "ساعتان"), with the event's digits."""
    text = format_timedelta(delta, locale=lang)
    digits = {str(n): fmt_number(n, lang, event_numbering(event)) for n in range(10)}
    return "".join(digits.get(char, char) for char in text)


@bp.get("/r/<token>/join/<key>")
def join(token, key):
    registration = _own(token)
    event = registration.event
    item = db.session.scalar(
        select(Session).where(Session.event_id == event.id, Session.key == key)
    )
    if item is None:
        abort(404)
    refused = online.refusal(registration, item)
    if refused is not None:
        return _page("refused", registration, item, refused.status, message=refused.message)
    now = online.utcnow()
    settings = online.get_settings(event)
    opens, closes = online.join_window(item, settings)
    state = online.join_state(item, now, settings)
    if state == online.OPEN:
        if request.method != "HEAD":  # a link checker's HEAD is no join
            online.record_join(db.session, registration, item, now)
            db.session.commit()
        return _no_store(redirect(online.meeting_url(item), 303))
    if state == online.ENDED:
        recording = item.recording_url if online.is_web_url(item.recording_url) else None
        return _page("ended", registration, item, recording_url=recording)
    return _page(
        "before",
        registration,
        item,
        opens_at=opens,
        offset=_zone_offset(opens, event.timezone, g.lang),
        time_left=_time_left(opens - now, event, g.lang),
        intl_locale=f"{g.lang}-u-nu-{event_numbering(event) if g.lang == 'ar' else 'latn'}",
    )
