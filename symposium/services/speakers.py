"""People of an event (speakers, moderators): editing, invitations, the portal, photos."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from PIL import ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ..i18n import LANGUAGES, clean_i18n, language
from ..models import Event, Person, SessionPerson
from ..models.types import utcnow
from . import audit, mail, uploads
from .events import bump_agenda_version
from .keys import check_name_and_key
from .richtext import sanitize

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_SIDE = 800
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png"}


class SpeakerError(ValueError):
    def __init__(self, messages: list[str] | str):
        messages = [messages] if isinstance(messages, str) else messages
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class PersonData:
    name: dict
    key: str | None = None
    title: dict = field(default_factory=dict)
    organisation: dict = field(default_factory=dict)
    city: dict = field(default_factory=dict)
    bio: dict = field(default_factory=dict)
    country: str | None = None
    email: str | None = None


def _clean_bio(bio: dict) -> dict:
    return clean_i18n({k: sanitize(v) for k, v in (bio or {}).items() if k in LANGUAGES})


def save_person(
    session: OrmSession, event: Event, data: PersonData, *, person: Person | None = None, by=None
) -> Person:
    name = clean_i18n(data.name)
    key, problems = check_name_and_key(
        session,
        Person,
        event,
        name,
        data.key,
        current=person,
        fallback="person",
        taken_message=_("Another person already has the key %(key)s.", key=data.key),
    )
    country = (data.country or "").strip().upper() or None
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        problems.append(_("Choose a country from the list."))
    if problems:
        raise SpeakerError(problems)
    creating = person is None
    if creating:
        person = Person(event=event, key=key, position=len(event.people))
        session.add(person)
    person.key = key
    person.name = name
    person.title = clean_i18n(data.title)
    person.organisation = clean_i18n(data.organisation)
    person.city = clean_i18n(data.city)
    person.bio = _clean_bio(data.bio)
    person.country = country
    person.email = (data.email or "").strip() or None
    session.flush()
    bump_agenda_version(event)
    audit.record(
        session,
        "person.create" if creating else "person.update",
        user=by,
        event=event,
        target=key,
    )
    return person


def delete_person(session: OrmSession, event: Event, person: Person, *, by=None) -> None:
    remove_photo(person)
    key = person.key
    session.delete(person)
    session.flush()
    bump_agenda_version(event)
    audit.record(session, "person.delete", user=by, event=event, target=key)


def ensure_portal_token(person: Person) -> str:
    if not person.portal_token:
        person.portal_token = secrets.token_urlsafe(32)
    return person.portal_token


def portal_url(person: Person, lang: str) -> str:
    base = current_app.config["SYMPOSIUM_BASE_URL"]
    return base + url_for("public.portal", lang=lang, token=person.portal_token)


def invite(
    session: OrmSession, event: Event, person: Person, *, lang: str | None = None, by=None
) -> None:
    """Email ``person`` a personal link to the speaker portal, in ``lang``."""
    if not person.email:
        raise SpeakerError(_("This person has no email address."))
    lang = lang if lang in LANGUAGES else event.default_language
    ensure_portal_token(person)
    with language(lang):
        link = portal_url(person, lang)
        context = {"event": event, "person": person, "link": link, "lang": lang}
        subject = _("Your speaker page for %(event)s", event=event.t("title", lang))
        message = mail.build_message(
            to=person.email,
            subject=subject,
            text=render_template("email/speaker_invitation.txt", **context),
            html=render_template("email/speaker_invitation.html", **context),
            lang=lang,
        )
    mail.queue_email(session, message, kind="speaker_invitation")
    person.invited_at = utcnow()
    audit.record(session, "person.invite", user=by, event=event, target=person.key)
    session.flush()


def find_by_token(session: OrmSession, token: str) -> Person | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Person).where(Person.portal_token == token))


def respond(session: OrmSession, person: Person, link_id: int, answer: str) -> SessionPerson:
    """The speaker confirms or declines their part in a session."""
    if answer not in ("confirmed", "declined"):
        raise SpeakerError(_("Choose confirm or decline."))
    link = session.get(SessionPerson, link_id)
    if link is None or link.person_id != person.id:
        raise SpeakerError(_("This session is not one of yours."))
    link.confirmation = answer
    link.responded_at = utcnow()
    audit.record(
        session,
        f"speaker.{answer}",
        event=person.event,
        target=person.key,
        details={"session": link.session.key},
    )
    session.flush()
    return link


def update_profile(session: OrmSession, person: Person, *, title: dict, bio: dict) -> Person:
    """The speaker's own edits from the portal: title and biography per language."""
    merged_title = dict(person.title or {})
    merged_title.update({k: v for k, v in title.items() if k in LANGUAGES})
    merged_bio = dict(person.bio or {})
    merged_bio.update({k: v for k, v in bio.items() if k in LANGUAGES})
    person.title = clean_i18n(merged_title)
    person.bio = _clean_bio(merged_bio)
    bump_agenda_version(person.event)
    audit.record(session, "speaker.profile", event=person.event, target=person.key)
    session.flush()
    return person


PHOTO_PATH_RE = re.compile(r"^photos/(?P<event>[0-9]+)/(?P<name>[0-9a-f]{32}\.(?:jpg|png))$")
# photos stored before they were kept per event (names generated by the app all the same)
LEGACY_PHOTO_PATH_RE = re.compile(r"^photos/(?P<name>[0-9a-f]{32}\.(?:jpg|png))$")


def photos_dir(event_id: int | None = None) -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "photos"
    if event_id is not None:
        path = path / str(int(event_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def photo_file(person: Person) -> Path | None:
    """The stored photo of ``person``, only when its path is one the application makes for the
    person's own event (``photos/<event id>/<random>.jpg``); None otherwise. Every route that
    serves or embeds a speaker photo goes through here, never through the path itself."""
    stored = person.photo_path or ""
    match = PHOTO_PATH_RE.match(stored)
    if match is not None:
        if person.event_id is None or match["event"] != str(person.event_id):
            return None
        path = photos_dir(person.event_id) / match["name"]
    else:
        legacy = LEGACY_PHOTO_PATH_RE.match(stored)
        if legacy is None:
            return None
        path = photos_dir() / legacy["name"]
    return path if path.is_file() else None


def process_photo(raw: bytes) -> tuple[bytes, str]:
    """Check and re-encode an uploaded photo: JPEG or PNG, at most 5 MB and 12 megapixels
    (checked before decoding), no metadata, resized to 800 px at most.

    Returns (bytes, extension); raises SpeakerError with a translated message otherwise.
    """
    if not raw:
        raise SpeakerError(_("Choose a photo to upload."))
    side = (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE)
    try:
        with uploads.open_image(raw, max_bytes=MAX_PHOTO_BYTES, draft_size=side) as img:
            fmt = img.format
            uploads.decode(img)
            img.thumbnail(side)  # smaller first: every later copy is small
            img = ImageOps.exif_transpose(img)
            if fmt == "JPEG" or img.mode not in ("RGB", "RGBA", "L", "LA"):
                img = img.convert("RGBA" if fmt == "PNG" else "RGB")
            out = io.BytesIO()
            if fmt == "JPEG":
                img.save(out, format="JPEG", quality=85, optimize=True)
            else:
                img.save(out, format="PNG", optimize=True)
    except uploads.UploadError as exc:
        raise SpeakerError(exc.message)
    except (OSError, SyntaxError, ValueError):
        raise SpeakerError(_("The photo could not be read. Please try another file."))
    return out.getvalue(), PHOTO_FORMATS[fmt]


def remove_photo(person: Person) -> None:
    path = photo_file(person)
    if path is not None:
        path.unlink(missing_ok=True)
    person.photo_path = None


def store_photo(person: Person, data: bytes, ext: str) -> str:
    """Write already processed photo bytes under a name the app makes, in the event's folder."""
    name = f"{secrets.token_hex(16)}.{ext}"
    (photos_dir(person.event.id) / name).write_bytes(data)
    remove_photo(person)
    person.photo_path = f"photos/{person.event.id}/{name}"
    return name


def set_photo(session: OrmSession, person: Person, raw: bytes, *, by=None) -> str:
    """Store a processed photo under STORAGE_DIR/photos/<event id>/ with a random name."""
    data, ext = process_photo(raw)
    name = store_photo(person, data, ext)
    bump_agenda_version(person.event)
    audit.record(session, "person.photo", user=by, event=person.event, target=person.key)
    session.flush()
    return name
