"""Speakers' materials: slides (a sanitised PDF in the app's storage) and links (recording,
article, other) attached to a session, from the speaker portal or the workspace.

- Slides: at most ``MATERIALS_MAX_BYTES`` (20 MB by default), a real PDF, re-written without
  scripts, triggers, embedded files or unsafe actions (:mod:`.pdf`); stored under a name the
  app makes (:mod:`.storage`).
- Links: http or https only, at most ``MAX_URL`` characters, no user name or password in them.
- Visibility: a material is shown on the public session page once an organiser publishes it or
  once the session has ended (``visible``). Speakers add and remove their own items; organisers
  add, publish, unpublish and remove any.
- The programme changes page lists materials from the moment they became visible
  (``change_entries``). Public pages key their caches on the event's agenda version: every
  change that shows or hides a material bumps it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ...i18n import fmt_number
from ...models import Event, Session, SessionMaterial
from ...models.types import utcnow
from .. import audit
from ..events import bump_agenda_version
from ..textcheck import text_problem
from . import storage
from .pdf import PdfRefused, sanitize

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
LINK_KINDS = ("recording", "article", "link")
MAX_TITLE = 200
MAX_URL = 500
MAX_FILENAME = 200
MAX_PER_SESSION = 30  # materials of one session (slides are up to MATERIALS_MAX_BYTES each)
_FILENAME_BAD = re.compile(r"[\\/:*?\"<>|]+")


class MaterialError(ValueError):
    def __init__(self, messages: list[str] | str):
        messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(messages))
        self.messages = messages


def max_bytes() -> int:
    return int(current_app.config.get("MATERIALS_MAX_BYTES") or DEFAULT_MAX_BYTES)


def read_upload(stream, limit: int | None = None) -> bytes:
    """At most ``limit`` + 1 bytes of an uploaded file: enough to tell it is too large
    without reading all of it."""
    limit = max_bytes() if limit is None else limit
    return stream.read(limit + 1) if stream is not None else b""


def size_label(num_bytes: int) -> str:
    """A size limit in the page's language: "20 MB", "512 KB"."""
    if num_bytes >= 1024 * 1024:
        return _("%(num)s MB", num=fmt_number(round(num_bytes / (1024 * 1024), 1)))
    return _("%(num)s KB", num=fmt_number(max(1, round(num_bytes / 1024))))


# --- checks ---------------------------------------------------------------------------------


def link_problem(url: str | None) -> str | None:
    """A translated message unless ``url`` is a plain http(s) address we may link to."""
    url = (url or "").strip()
    if not url:
        return _("Enter the address of the link.")
    if len(url) > MAX_URL:
        return _("The address is too long: at most %(max)d characters.", max=MAX_URL)
    if text_problem(url) or any(ch.isspace() for ch in url):
        return _("Enter a full web address starting with https:// or http://.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return _("Enter a full web address starting with https:// or http://.")
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host.strip("."):
        return _("Enter a full web address starting with https:// or http://.")
    if parts.username is not None or parts.password is not None:
        return _("The address must not contain a user name or password.")
    return None


def _title(title: str | None, problems: list[str]) -> str:
    title = " ".join((title or "").split())
    problem = text_problem(title, max_length=MAX_TITLE)
    if problem:
        problems.append(problem)
    return title


def clean_filename(filename: str | None) -> str:
    """A file name to offer on download: no folders, no control or direction characters, at
    most MAX_FILENAME characters, ending in .pdf."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _FILENAME_BAD.sub("_", name).strip(" ._")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem.strip(" ._")[: MAX_FILENAME - 4] or "slides"
    return f"{stem}.pdf"


# --- reading --------------------------------------------------------------------------------


def visible_since(material: SessionMaterial) -> datetime:
    """When ``material`` is (or will be) shown: published, or once its session has ended."""
    after_end = max(material.created_at or utcnow(), material.session.ends_at)
    if material.published_at is not None:
        return min(material.published_at, after_end)
    return after_end


def visible(material: SessionMaterial, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if material.published_at is not None and material.published_at <= now:
        return True
    return material.session.ends_at <= now


def for_session(session: OrmSession, item: Session) -> list[SessionMaterial]:
    return list(
        session.scalars(
            select(SessionMaterial)
            .where(SessionMaterial.session_id == item.id)
            .order_by(SessionMaterial.position, SessionMaterial.id)
        )
    )


@dataclass
class Shown:
    """The materials a public session page shows, and what its cache must know."""

    items: list[SessionMaterial]
    etag: str  # which are shown
    pending: bool  # some will appear when the session ends: the page changes with time


def shown(session: OrmSession, item: Session, now: datetime | None = None) -> Shown:
    now = now or utcnow()
    every = for_session(session, item)
    items = [m for m in every if visible(m, now)]
    pending = len(items) < len(every)
    return Shown(items, ",".join(str(m.id) for m in items), pending)


def find(session: OrmSession, item: Session, material_id: int) -> SessionMaterial | None:
    """The material ``material_id`` of the session ``item`` (None if it is another's)."""
    material = session.get(SessionMaterial, material_id)
    if material is None or material.session_id != item.id:
        return None
    return material


def file_path(material: SessionMaterial):
    """The stored file of a slides row, only inside its own event's folder; None otherwise."""
    if material.kind != "slides" or not material.storage_key:
        return None
    path = storage.path_for(material.storage_key, material.session.event_id)
    return path if path is not None and path.is_file() else None


@dataclass
class Change:
    at: datetime
    material: SessionMaterial
    session: Session


def change_entries(
    session: OrmSession, event: Event, now: datetime | None = None, limit: int = 200
) -> list[Change]:
    """Materials shown on the event's pages, newest first, at the moment each appeared."""
    now = now or utcnow()
    rows = session.scalars(
        select(SessionMaterial)
        .join(Session, Session.id == SessionMaterial.session_id)
        .where(Session.event_id == event.id)
        .options(selectinload(SessionMaterial.session))
    )
    changes = [Change(visible_since(m), m, m.session) for m in rows if visible(m, now)]
    changes.sort(key=lambda c: (c.at, c.material.id), reverse=True)
    return changes[:limit]


# --- changes --------------------------------------------------------------------------------


def _next_position(session: OrmSession, item: Session) -> int:
    last = session.scalar(
        select(func.max(SessionMaterial.position)).where(SessionMaterial.session_id == item.id)
    )
    return (last or 0) + 1


def _room_left(session: OrmSession, item: Session, problems: list[str]) -> None:
    count = session.scalar(
        select(func.count(SessionMaterial.id)).where(SessionMaterial.session_id == item.id)
    )
    if (count or 0) >= MAX_PER_SESSION:
        problems.append(
            _(
                "This session already has %(num)d materials: remove one before adding another.",
                num=MAX_PER_SESSION,
            )
        )


def _changed_display(event: Event) -> None:
    bump_agenda_version(event)


def add_slides(
    session: OrmSession,
    item: Session,
    raw: bytes,
    *,
    filename: str | None,
    title: str | None = None,
    person=None,
    user=None,
    publish: bool = False,
    now: datetime | None = None,
) -> SessionMaterial:
    """Check, sanitise and store an uploaded PDF as slides of ``item``.

    Raises MaterialError (translated messages) and then writes nothing."""
    now = now or utcnow()
    problems: list[str] = []
    _room_left(session, item, problems)
    title = _title(title, problems)
    limit = max_bytes()
    if not raw:
        problems.append(_("Choose a PDF file to upload."))
    elif len(raw) > limit:
        problems.append(_("The file is larger than %(size)s.", size=size_label(limit)))
    if problems:
        raise MaterialError(problems)
    try:
        data, removed = sanitize(raw)
    except PdfRefused as exc:
        raise MaterialError(exc.message)
    name = clean_filename(filename)
    key = storage.new_key(item.event_id)
    storage.write(session, key, data, item.event_id)
    return _attach(
        session,
        item,
        SessionMaterial(
            kind="slides",
            title=title or name[:-4][:MAX_TITLE],
            storage_key=key,
            filename=name,
            size=len(data),
        ),
        person=person,
        user=user,
        publish=publish,
        now=now,
        removed=removed,
    )


def add_link(
    session: OrmSession,
    item: Session,
    *,
    kind: str,
    url: str | None,
    title: str | None = None,
    person=None,
    user=None,
    publish: bool = False,
    now: datetime | None = None,
) -> SessionMaterial:
    """Attach a link (recording, article or other) to ``item``."""
    now = now or utcnow()
    problems: list[str] = []
    _room_left(session, item, problems)
    if kind not in LINK_KINDS:
        problems.append(_("Choose the kind of link."))
    problem = link_problem(url)
    if problem:
        problems.append(problem)
    title = _title(title, problems)
    if problems:
        raise MaterialError(problems)
    url = (url or "").strip()
    return _attach(
        session,
        item,
        SessionMaterial(
            kind=kind, title=title or (urlsplit(url).hostname or url)[:MAX_TITLE], url=url
        ),
        person=person,
        user=user,
        publish=publish,
        now=now,
    )


def _attach(
    session: OrmSession,
    item: Session,
    material: SessionMaterial,
    *,
    person,
    user,
    publish: bool,
    now: datetime,
    **details,
) -> SessionMaterial:
    """Add ``material`` (slides or a link, checked) to ``item``: who added it, its place, its
    publication, the audit entry, and the public pages renewed when it shows at once."""
    material.session_id = item.id
    material.published_at = now if publish else None
    material.added_by_person_id = getattr(person, "id", None)
    material.added_by_user_id = getattr(user, "id", None)
    material.position = _next_position(session, item)
    material.created_at = now
    material.session = item
    session.add(material)
    session.flush()
    _record(session, "material.add", material, person=person, user=user, **details)
    if visible(material, now):
        _changed_display(item.event)
    return material


def remove(
    session: OrmSession,
    material: SessionMaterial,
    *,
    person=None,
    user=None,
    now: datetime | None = None,
) -> None:
    """Delete ``material`` (its file once the transaction is committed). A speaker (``person``)
    may remove only what they added."""
    if person is not None and material.added_by_person_id != person.id:
        raise MaterialError(_("You can remove only the materials you added."))
    was_visible = visible(material, now)
    item = material.session
    storage.unlink_after_commit(session, file_path(material))
    _record(session, "material.remove", material, person=person, user=user)
    session.delete(material)
    session.flush()
    if was_visible:
        _changed_display(item.event)


def publish(
    session: OrmSession, material: SessionMaterial, *, user=None, now: datetime | None = None
) -> None:
    """Show ``material`` on the session page from now on."""
    now = now or utcnow()
    if material.published_at is not None:
        return
    was_visible = visible(material, now)
    material.published_at = now
    _record(session, "material.publish", material, user=user)
    session.flush()
    if not was_visible:
        _changed_display(material.session.event)


def unpublish(
    session: OrmSession, material: SessionMaterial, *, user=None, now: datetime | None = None
) -> None:
    """Hide ``material`` again until the session has ended."""
    now = now or utcnow()
    if material.published_at is None:
        return
    was_visible = visible(material, now)
    material.published_at = None
    _record(session, "material.unpublish", material, user=user)
    session.flush()
    if was_visible != visible(material, now):
        _changed_display(material.session.event)


def _record(session, action, material, *, person=None, user=None, removed=()) -> None:
    details = {"session": material.session.key, "kind": material.kind, "id": material.id}
    if person is not None:
        details["speaker"] = person.key
    if removed:
        details["removed"] = sorted(set(removed))
    audit.record(
        session,
        action,
        user=user,
        event=material.session.event,
        target=material.title[:MAX_TITLE],
        details=details,
    )


# The routes that receive slides: their requests may be larger than MAX_CONTENT_LENGTH
UPLOAD_ENDPOINTS = frozenset({"public.portal_add_slides", "manage.session_add_slides"})
UPLOAD_MARGIN = 256 * 1024  # the form's other fields and the multipart framing


def _upload_limit() -> None:
    """Before anything reads the body (the CSRF check does): a slides upload may carry up to
    MATERIALS_MAX_BYTES; a larger request gets 413 before it is read."""
    from flask import request

    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = max_bytes() + UPLOAD_MARGIN


def init_app(app) -> None:
    from ... import scheduler

    storage.install_hooks()
    scheduler.register_periodic("materials-orphans", 6 * 3600, storage.SWEEP_PATH)
    # first of the app's before_request functions, ahead of CSRFProtect's
    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)


from .demo import seed_demo_materials  # noqa: E402

__all__ = [
    "LINK_KINDS",
    "Change",
    "MaterialError",
    "Shown",
    "add_link",
    "add_slides",
    "change_entries",
    "clean_filename",
    "file_path",
    "find",
    "for_session",
    "link_problem",
    "max_bytes",
    "publish",
    "read_upload",
    "remove",
    "seed_demo_materials",
    "shown",
    "unpublish",
    "visible",
    "visible_since",
]
