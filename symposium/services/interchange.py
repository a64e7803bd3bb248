"""The event interchange format: one JSON document per event (see docs/interchange.md).

``export_event(event)`` turns an event into a plain dict with a stable key and list order;
``import_event(session, data)`` validates the WHOLE document first and raises
``InterchangeError`` listing every problem by its path (``sessions[3].starts_at: ...``), and
only then creates the event or updates it in place (rooms, speakers and sessions matched by
key). Times in the file are wall-clock times in the event's timezone. No HTTP here: the CLI
and the workspace both call these functions; the caller commits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ..i18n import LANGUAGES, local_to_utc, utc_to_local
from ..models import (
    EVENT_STATUSES,
    SESSION_KINDS,
    SPEAKER_ROLES,
    AgendaChange,
    Event,
    Person,
    Room,
    Session,
    SessionPerson,
    SessionRegistration,
)
from .events import bump_agenda_version, find_event
from .richtext import sanitize

FORMAT_NAME = "symposium-event"
FORMAT_VERSION = 1

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
KEY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,78}[A-Za-z0-9])?$")
PHOTO_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,254}$")

# the event's fields that have the same name and meaning in the document and on the model
EVENT_FIELDS = (
    "timezone",
    "default_language",
    "languages",
    "title",
    "description",
    "organisers",
    "starts_on",
    "ends_on",
    "capacity",
    "registration_open",
    "registration_opens_at",
    "registration_closes_at",
    "hybrid",
    "online_url",
)
EVENT_KEYS = (
    "format",
    "version",
    "slug",
    "status",
    "is_sample",
    *EVENT_FIELDS,
    "venue",
    "settings",
    "rooms",
    "speakers",
    "sessions",
)
ROOM_KEYS = ("key", "name", "capacity")
SPEAKER_KEYS = (
    "key",
    "name",
    "title",
    "organisation",
    "city",
    "country",
    "email",
    "bio",
    "photo_path",
)
SESSION_KEYS = (
    "key",
    "kind",
    "title",
    "abstract",
    "starts_at",
    "ends_at",
    "room",
    "capacity",
    "track",
    "position",
    "speakers",
)
LINK_KEYS = ("key", "role")
_EXCLUDED_TERRITORIES = {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"}


class InterchangeError(Exception):
    """The document cannot be imported; ``problems`` lists every problem by its path."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass
class ImportResult:
    event: Event
    status: str  # created / updated / unchanged
    changes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def _i18n_out(value: dict | None) -> dict[str, str]:
    return {k: value[k] for k in sorted(value or {}) if value[k]}


def _local_out(dt: datetime | None, tzname: str) -> str | None:
    if dt is None:
        return None
    local = utc_to_local(dt, tzname).replace(tzinfo=None)
    spec = "minutes" if local.second == 0 and local.microsecond == 0 else "seconds"
    return local.replace(microsecond=0).isoformat(timespec=spec)


def _session_order(item: Session):
    return (item.starts_at, item.position or 0, item.key)


def export_event(event: Event) -> dict[str, Any]:
    """The event as an interchange document (a dict; ``dumps`` gives the canonical JSON)."""
    tzname = event.timezone
    rooms = sorted(event.rooms, key=lambda r: (r.position or 0, r.key))
    people = sorted(event.people, key=lambda p: (p.position or 0, p.key))
    sessions = sorted(event.sessions, key=_session_order)
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "slug": event.slug,
        "status": event.status,
        "is_sample": bool(event.is_sample),
        "timezone": tzname,
        "default_language": event.default_language,
        "languages": list(event.languages or []),
        "title": _i18n_out(event.title),
        "description": _i18n_out(event.description),
        "organisers": _i18n_out(event.organisers),
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "capacity": event.capacity,
        "registration_open": bool(event.registration_open),
        "registration_opens_at": _local_out(event.registration_opens_at, tzname),
        "registration_closes_at": _local_out(event.registration_closes_at, tzname),
        "hybrid": bool(event.hybrid),
        "online_url": event.online_url,
        "venue": {"name": _i18n_out(event.venue_name), "address": _i18n_out(event.venue_address)},
        "settings": json.loads(json.dumps(event.settings or {}, sort_keys=True)),
        "rooms": [{"key": r.key, "name": _i18n_out(r.name), "capacity": r.capacity} for r in rooms],
        "speakers": [
            {
                "key": p.key,
                "name": _i18n_out(p.name),
                "title": _i18n_out(p.title),
                "organisation": _i18n_out(p.organisation),
                "city": _i18n_out(p.city),
                "country": p.country,
                "email": p.email,
                "bio": _i18n_out(p.bio),
                "photo_path": p.photo_path,
            }
            for p in people
        ],
        "sessions": [
            {
                "key": s.key,
                "kind": s.kind,
                "title": _i18n_out(s.title),
                "abstract": _i18n_out(s.abstract),
                "starts_at": _local_out(s.starts_at, tzname),
                "ends_at": _local_out(s.ends_at, tzname),
                "room": s.room.key if s.room is not None else None,
                "capacity": s.capacity,
                "track": s.track,
                "position": s.position or 0,
                "speakers": [
                    {"key": link.person.key, "role": link.role}
                    for link in sorted(s.speakers, key=lambda sp: (sp.position or 0, sp.id or 0))
                ],
            }
            for s in sessions
        ],
    }


def dumps(data: dict[str, Any]) -> str:
    """The canonical text of a document: UTF-8 as is, indented by 2, ending with a newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _country_codes() -> frozenset[str]:
    territories = Locale.parse("en").territories
    return frozenset(
        c for c in territories if len(c) == 2 and c.isalpha() and c not in _EXCLUDED_TERRITORIES
    )


class _Checker:
    """Collects problems while reading a document into plain Python values."""

    def __init__(self):
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # -- generic readers: return the parsed value, or None after recording a problem --

    def unknown_keys(self, obj: dict, allowed: tuple[str, ...], path: str) -> None:
        for key in obj:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.add(where, _("unknown key"))

    def required(self, obj: dict, key: str, path: str) -> bool:
        if key not in obj or obj[key] is None:
            self.add(self.join(path, key), _("required"))
            return False
        return True

    @staticmethod
    def join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def string(self, obj, key, path, *, required=False, max_length=None) -> str | None:
        where = self.join(path, key)
        if key not in obj or obj[key] is None:
            if required:
                self.add(where, _("required"))
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.add(where, _("must be a text"))
            return None
        value = value.strip()
        if required and not value:
            self.add(where, _("must not be empty"))
            return None
        if max_length and len(value) > max_length:
            self.add(where, _("longer than %(max)s characters", max=max_length))
            return None
        return value or None

    def boolean(self, obj, key, path, default: bool) -> bool:
        if key not in obj or obj[key] is None:
            return default
        if not isinstance(obj[key], bool):
            self.add(self.join(path, key), _("must be true or false"))
            return default
        return obj[key]

    def capacity(self, obj, key, path) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.add(self.join(path, key), _("must be a non-negative whole number or null"))
            return None
        return value

    def i18n(self, obj, key, path, *, default_language=None, required=False) -> dict[str, str]:
        where = self.join(path, key)
        value = obj.get(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.add(where, _("must be an object of texts by language (ar, en, fr)"))
            return {}
        result: dict[str, str] = {}
        ok = True
        for lang_code, text in value.items():
            if lang_code not in LANGUAGES:
                self.add(f"{where}.{lang_code}", _("unknown language (use ar, en or fr)"))
                ok = False
                continue
            if text is None:
                continue
            if not isinstance(text, str):
                self.add(f"{where}.{lang_code}", _("must be a text"))
                ok = False
                continue
            if text.strip():
                result[lang_code] = text.strip()
        if ok and required:
            if default_language and default_language not in result:
                self.add(
                    where,
                    _(
                        "a text in the default language (%(lang)s) is required",
                        lang=default_language,
                    ),
                )
            elif not result:
                self.add(where, _("required"))
        return {k: result[k] for k in sorted(result)}

    def iso_date(self, obj, key, path) -> date | None:
        where = self.join(path, key)
        if not self.required(obj, key, path):
            return None
        value = obj[key]
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.add(where, _("not an ISO date (YYYY-MM-DD)"))
            return None

    def local_datetime(self, obj, key, path, tzname, *, required) -> datetime | None:
        """A wall-clock time in the event's timezone -> aware UTC."""
        where = self.join(path, key)
        if key not in obj or obj[key] is None:
            if required:
                self.add(where, _("required"))
            return None
        value = obj[key]
        try:
            if not isinstance(value, str) or "T" not in value:
                raise ValueError
            local = datetime.fromisoformat(value)
        except ValueError:
            self.add(where, _("not an ISO date-time (YYYY-MM-DDTHH:MM)"))
            return None
        if local.tzinfo is not None:
            self.add(where, _("give the local time in the event's timezone, without an offset"))
            return None
        if tzname is None:
            return None  # the timezone is wrong; already reported
        utc = local_to_utc(local, tzname)
        if utc_to_local(utc, tzname).replace(tzinfo=None) != local:
            self.add(
                where,
                _(
                    "%(time)s does not exist in %(tz)s (daylight saving time change)",
                    time=value,
                    tz=tzname,
                ),
            )
            return None
        return utc


def _validate(data: Any) -> tuple[list[str], dict[str, Any]]:
    """Read the whole document; return (problems, parsed values)."""
    c = _Checker()
    if not isinstance(data, dict):
        c.add("$", _("the document must be a JSON object"))
        return c.problems, {}
    c.unknown_keys(data, EVENT_KEYS, "")
    doc: dict[str, Any] = {"_present": set(data)}

    if "format" in data and data["format"] != FORMAT_NAME:
        c.add("format", _('must be "%(name)s"', name=FORMAT_NAME))
    if "version" in data and data["version"] != FORMAT_VERSION:
        c.add(
            "version",
            _("unsupported version (this software reads version %(v)s)", v=FORMAT_VERSION),
        )

    slug = c.string(data, "slug", "", required=True)
    if slug is not None and not SLUG_RE.match(slug):
        c.add("slug", _("use lowercase letters, digits and hyphens (at most 80 characters)"))
        slug = None
    doc["slug"] = slug

    tzname = c.string(data, "timezone", "", required=True)
    if tzname is not None:
        try:
            if tzname not in available_timezones():
                raise ZoneInfoNotFoundError(tzname)
            ZoneInfo(tzname)
        except (ZoneInfoNotFoundError, ValueError):
            c.add("timezone", _('unknown IANA timezone "%(tz)s"', tz=tzname))
            tzname = None
    doc["timezone"] = tzname

    languages = data.get("languages")
    if languages is None:
        c.add("languages", _("required"))
        languages = None
    elif (
        not isinstance(languages, list)
        or not languages
        or any(not isinstance(x, str) or x not in LANGUAGES for x in languages)
    ):
        c.add("languages", _("must be a non-empty list of ar, en, fr"))
        languages = None
    elif len(set(languages)) != len(languages):
        c.add("languages", _("a language is listed twice"))
        languages = None
    doc["languages"] = languages

    default_language = c.string(data, "default_language", "", required=True)
    if default_language is not None:
        if default_language not in LANGUAGES:
            c.add("default_language", _("must be one of ar, en, fr"))
            default_language = None
        elif languages is not None and default_language not in languages:
            c.add("default_language", _("must be one of the event's languages"))
    doc["default_language"] = default_language

    status = c.string(data, "status", "")
    if status is not None and status not in EVENT_STATUSES:
        c.add("status", _("must be draft or published"))
        status = None
    doc["status"] = status

    doc["title"] = c.i18n(data, "title", "", default_language=default_language, required=True)
    doc["description"] = c.i18n(data, "description", "")
    doc["organisers"] = c.i18n(data, "organisers", "")

    starts_on = c.iso_date(data, "starts_on", "")
    ends_on = c.iso_date(data, "ends_on", "")
    if starts_on and ends_on and ends_on < starts_on:
        c.add("ends_on", _("the event ends before it starts"))
    doc["starts_on"], doc["ends_on"] = starts_on, ends_on

    doc["capacity"] = c.capacity(data, "capacity", "")
    doc["registration_open"] = c.boolean(data, "registration_open", "", False)
    doc["hybrid"] = c.boolean(data, "hybrid", "", False)
    doc["is_sample"] = c.boolean(data, "is_sample", "", False)
    doc["registration_opens_at"] = c.local_datetime(
        data, "registration_opens_at", "", tzname, required=False
    )
    doc["registration_closes_at"] = c.local_datetime(
        data, "registration_closes_at", "", tzname, required=False
    )
    if (
        doc["registration_opens_at"]
        and doc["registration_closes_at"]
        and doc["registration_closes_at"] <= doc["registration_opens_at"]
    ):
        c.add("registration_closes_at", _("registration closes before it opens"))
    online_url = c.string(data, "online_url", "", max_length=500)
    if online_url and not re.match(r"^https?://\S+$", online_url):
        c.add("online_url", _("must be an http or https address"))
    doc["online_url"] = online_url

    venue = data.get("venue")
    if venue is None:
        venue = {}
    if not isinstance(venue, dict):
        c.add("venue", _("must be an object"))
        venue = {}
    c.unknown_keys(venue, ("name", "address"), "venue")
    doc["venue_name"] = c.i18n(venue, "name", "venue")
    doc["venue_address"] = c.i18n(venue, "address", "venue")

    settings = data.get("settings")
    if settings is not None and not isinstance(settings, dict):
        c.add("settings", _("must be an object"))
        settings = None
    doc["settings"] = settings

    doc["rooms"] = _validate_rooms(c, data.get("rooms"))
    doc["speakers"] = _validate_speakers(c, data.get("speakers"))
    doc["sessions"] = _validate_sessions(c, data.get("sessions"), doc)
    return c.problems, doc


def _list(c: _Checker, value, path) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        c.add(path, _("must be a list"))
        return []
    return value


def _item_key(c: _Checker, item, path, seen: set[str]) -> str | None:
    key = c.string(item, "key", path, required=True)
    if key is None:
        return None
    if not KEY_RE.match(key):
        c.add(f"{path}.key", _("use letters, digits, hyphens and underscores (at most 80)"))
        return None
    if key in seen:
        c.add(f"{path}.key", _('duplicate key "%(key)s"', key=key))
        return None
    seen.add(key)
    return key


def _validate_rooms(c: _Checker, value) -> list[dict]:
    rooms, seen = [], set()
    for i, item in enumerate(_list(c, value, "rooms")):
        path = f"rooms[{i}]"
        if not isinstance(item, dict):
            c.add(path, _("must be an object"))
            continue
        c.unknown_keys(item, ROOM_KEYS, path)
        rooms.append(
            {
                "key": _item_key(c, item, path, seen),
                "name": c.i18n(item, "name", path, required=True),
                "capacity": c.capacity(item, "capacity", path),
            }
        )
    return rooms


def _validate_speakers(c: _Checker, value) -> list[dict]:
    countries = _country_codes()
    people, seen = [], set()
    for i, item in enumerate(_list(c, value, "speakers")):
        path = f"speakers[{i}]"
        if not isinstance(item, dict):
            c.add(path, _("must be an object"))
            continue
        c.unknown_keys(item, SPEAKER_KEYS, path)
        key = _item_key(c, item, path, seen)
        country = c.string(item, "country", path)
        if country is not None:
            if country.upper() not in countries:
                c.add(
                    f"{path}.country",
                    _('unknown country code "%(code)s" (ISO 3166 alpha-2)', code=country),
                )
            country = country.upper()
        email = c.string(item, "email", path, max_length=254)
        if email is not None:
            try:
                email = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                c.add(f"{path}.email", _('"%(email)s" is not a valid email address', email=email))
        photo = c.string(item, "photo_path", path, max_length=255)
        if photo is not None and (not PHOTO_RE.match(photo) or ".." in photo.split("/")):
            c.add(f"{path}.photo_path", _("must be a relative path inside the storage folder"))
        bio = c.i18n(item, "bio", path)
        people.append(
            {
                "key": key,
                "name": c.i18n(item, "name", path, required=True),
                "title": c.i18n(item, "title", path),
                "organisation": c.i18n(item, "organisation", path),
                "city": c.i18n(item, "city", path),
                "country": country,
                "email": email,
                "bio": {k: v for k, v in ((k, sanitize(v).strip()) for k, v in bio.items()) if v},
                "photo_path": photo,
            }
        )
    return people


def _validate_sessions(c: _Checker, value, doc: dict) -> list[dict]:
    room_keys = {r["key"] for r in doc["rooms"] if r["key"]}
    speaker_keys = {p["key"] for p in doc["speakers"] if p["key"]}
    tzname = doc["timezone"]
    sessions, seen = [], set()
    for i, item in enumerate(_list(c, value, "sessions")):
        path = f"sessions[{i}]"
        if not isinstance(item, dict):
            c.add(path, _("must be an object"))
            continue
        c.unknown_keys(item, SESSION_KEYS, path)
        key = _item_key(c, item, path, seen)
        kind = c.string(item, "kind", path, required=True)
        if kind is not None and kind not in SESSION_KINDS:
            c.add(
                f"{path}.kind",
                _(
                    'unknown kind "%(kind)s" (one of %(kinds)s)',
                    kind=kind,
                    kinds=", ".join(SESSION_KINDS),
                ),
            )
        starts_at = c.local_datetime(item, "starts_at", path, tzname, required=True)
        ends_at = c.local_datetime(item, "ends_at", path, tzname, required=True)
        if starts_at and ends_at:
            if ends_at <= starts_at:
                c.add(path, _("ends before it starts"))
            elif doc["starts_on"] and doc["ends_on"]:
                first = utc_to_local(starts_at, tzname).date()
                end_local = utc_to_local(ends_at, tzname).replace(tzinfo=None)
                last = end_local.date()
                if end_local.time() == datetime.min.time():
                    last = date.fromordinal(last.toordinal() - 1)  # ends at midnight
                if first < doc["starts_on"] or last > doc["ends_on"]:
                    c.add(path, _("outside the event's dates"))
        room = c.string(item, "room", path)
        if room is not None and room not in room_keys:
            c.add(f"{path}.room", _('unknown room "%(key)s"', key=room))
        track = c.string(item, "track", path, max_length=120)
        position = item.get("position", 0)
        if position is None:
            position = 0
        if isinstance(position, bool) or not isinstance(position, int):
            c.add(f"{path}.position", _("must be a whole number"))
            position = 0
        links, linked = [], set()
        for j, link in enumerate(_list(c, item.get("speakers"), f"{path}.speakers")):
            lpath = f"{path}.speakers[{j}]"
            if not isinstance(link, dict):
                c.add(lpath, _("must be an object"))
                continue
            c.unknown_keys(link, LINK_KEYS, lpath)
            person = c.string(link, "key", lpath, required=True)
            role = c.string(link, "role", lpath) or "speaker"
            if role not in SPEAKER_ROLES:
                c.add(
                    f"{lpath}.role",
                    _(
                        'unknown role "%(role)s" (one of %(roles)s)',
                        role=role,
                        roles=", ".join(SPEAKER_ROLES),
                    ),
                )
            if person is None:
                continue
            if person not in speaker_keys:
                c.add(f"{lpath}.key", _('unknown speaker "%(key)s"', key=person))
            elif person in linked:
                c.add(f"{lpath}.key", _('speaker "%(key)s" is listed twice', key=person))
            linked.add(person)
            links.append({"key": person, "role": role})
        sessions.append(
            {
                "key": key,
                "kind": kind,
                "title": c.i18n(
                    item, "title", path, default_language=doc["default_language"], required=True
                ),
                "abstract": c.i18n(item, "abstract", path),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "room": room,
                "capacity": c.capacity(item, "capacity", path),
                "track": track,
                "position": position,
                "speakers": links,
            }
        )
    return sessions


def _check_against_database(session: OrmSession, event: Event, doc: dict) -> list[str]:
    """Problems only the database can tell: sign-ups that the document would drop."""
    problems: list[str] = []
    if doc["capacity"] is not None and doc["capacity"] < (event.confirmed_count or 0):
        problems.append(
            "capacity: "
            + ngettext(
                "%(capacity)s is below the %(num)s confirmed registration",
                "%(capacity)s is below the %(num)s confirmed registrations",
                event.confirmed_count,
                capacity=doc["capacity"],
            )
        )
    signups = dict(
        session.execute(
            select(SessionRegistration.session_id, func.count(SessionRegistration.id))
            .join(Session, Session.id == SessionRegistration.session_id)
            .where(Session.event_id == event.id)
            .group_by(SessionRegistration.session_id)
        ).all()
    )
    incoming = {s["key"]: (i, s) for i, s in enumerate(doc["sessions"])}
    for existing in event.sessions:
        count = signups.get(existing.id, 0)
        if existing.key not in incoming:
            if count:
                problems.append(
                    "sessions: "
                    + ngettext(
                        'session "%(key)s" has %(num)s sign-up and cannot be removed; keep it in the file',
                        'session "%(key)s" has %(num)s sign-ups and cannot be removed; keep it in the file',
                        count,
                        key=existing.key,
                    )
                )
            continue
        index, new = incoming[existing.key]
        if new["capacity"] is not None and new["capacity"] < (existing.confirmed_count or 0):
            problems.append(
                f"sessions[{index}].capacity: "
                + ngettext(
                    "%(capacity)s is below the %(num)s confirmed sign-up",
                    "%(capacity)s is below the %(num)s confirmed sign-ups",
                    existing.confirmed_count,
                    capacity=new["capacity"],
                )
            )
    return problems


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


class _Writer:
    """Sets attributes only when they differ, so that an identical import changes nothing."""

    def __init__(self):
        self.changed = False

    def set(self, obj, attr: str, value) -> bool:
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
            self.changed = True
            return True
        return False


def _session_snapshot(item: Session, tzname: str) -> dict[str, Any]:
    return {
        "title": _i18n_out(item.title),
        "kind": item.kind,
        "starts_at": _local_out(item.starts_at, tzname),
        "ends_at": _local_out(item.ends_at, tzname),
        "room": item.room.key if item.room else None,
        "capacity": item.capacity,
        "track": item.track,
        "abstract": _i18n_out(item.abstract),
        "speakers": [
            link.person.key for link in sorted(item.speakers, key=lambda sp: sp.position or 0)
        ],
    }


def import_event(session: OrmSession, data: Any, *, event: Event | None = None, user=None) -> Event:
    """Create or update (in place) the event described by ``data``; all or nothing."""
    return import_event_result(session, data, event=event, user=user).event


def import_event_result(
    session: OrmSession, data: Any, *, event: Event | None = None, user=None
) -> ImportResult:
    """Like ``import_event`` and tells whether the event was created, updated or unchanged."""
    problems, doc = _validate(data)
    if not problems:
        other = find_event(session, doc["slug"])
        if event is None:
            event = other
        elif other is not None and other.id != event.id:
            problems.append(
                "slug: " + _('"%(slug)s" is already used by another event', slug=doc["slug"])
            )
    if not problems and event is not None:
        event = session.scalar(
            select(Event)
            .where(Event.id == event.id)
            .options(
                selectinload(Event.rooms),
                selectinload(Event.people),
                selectinload(Event.sessions).selectinload(Session.speakers),
            )
        )
        problems.extend(_check_against_database(session, event, doc))
    if problems:
        raise InterchangeError(problems)

    creating = event is None
    with session.begin_nested():
        if creating:
            event = Event(slug=doc["slug"], status=doc["status"] or "draft", settings={})
            session.add(event)
        writer = _Writer()
        changes = _apply(session, event, doc, writer, user=user, record=not creating)
        session.flush()
        if creating:
            status = "created"
        elif writer.changed:
            status = "updated"
            bump_agenda_version(event)
            session.flush()
        else:
            status = "unchanged"
    return ImportResult(event=event, status=status, changes=changes)


def _apply(
    session: OrmSession, event: Event, doc: dict, w: _Writer, *, user, record: bool
) -> list[str]:
    tzname = doc["timezone"]
    changes: list[str] = []
    for attr in ("slug", *EVENT_FIELDS, "is_sample", "venue_name", "venue_address"):
        w.set(event, attr, doc[attr])
    if doc["status"] is not None:
        w.set(event, "status", doc["status"])
    if doc["settings"] is not None:
        w.set(event, "settings", doc["settings"])

    # Rooms
    existing_rooms = {r.key: r for r in event.rooms}
    _drop_missing(session, event.rooms, existing_rooms, doc["rooms"], w)
    rooms: dict[str, Room] = {}
    for position, data in enumerate(doc["rooms"]):
        room = existing_rooms.get(data["key"])
        if room is None:
            room = Room(key=data["key"], name={}, position=position)
            event.rooms.append(room)
            w.changed = True
        w.set(room, "name", data["name"])
        w.set(room, "capacity", data["capacity"])
        w.set(room, "position", position)
        rooms[data["key"]] = room

    # Speakers
    existing_people = {p.key: p for p in event.people}

    def unlink(key, person):
        for link in list(person.sessions):
            if link.session is not None and link in link.session.speakers:
                link.session.speakers.remove(link)

    _drop_missing(session, event.people, existing_people, doc["speakers"], w, unlink)
    people: dict[str, Person] = {}
    for position, data in enumerate(doc["speakers"]):
        person = existing_people.get(data["key"])
        if person is None:
            person = Person(key=data["key"], name={}, position=position)
            event.people.append(person)
            w.changed = True
        for attr in (
            "name",
            "title",
            "organisation",
            "city",
            "country",
            "email",
            "bio",
            "photo_path",
        ):
            w.set(person, attr, data[attr])
        w.set(person, "position", position)
        people[data["key"]] = person

    # Sessions
    existing_sessions = {s.key: s for s in event.sessions}

    def note_deleted(key, item):
        if record:
            _record_change(
                session, event, key, "deleted", {"title": [_i18n_out(item.title), None]}, user
            )
        changes.append(f"deleted {key}")

    _drop_missing(session, event.sessions, existing_sessions, doc["sessions"], w, note_deleted)
    session.flush()  # removed links and rows go before new ones take their keys
    for data in doc["sessions"]:
        item = existing_sessions.get(data["key"])
        before = None
        if item is None:
            item = Session(
                key=data["key"], title={}, starts_at=data["starts_at"], ends_at=data["ends_at"]
            )
            event.sessions.append(item)
            w.changed = True
            if record:
                _record_change(
                    session, event, data["key"], "created", {"title": [None, data["title"]]}, user
                )
            changes.append(f"created {data['key']}")
        else:
            before = _session_snapshot(item, tzname)
        sw = _Writer()
        for attr in (
            "kind",
            "title",
            "abstract",
            "starts_at",
            "ends_at",
            "capacity",
            "track",
            "position",
        ):
            sw.set(item, attr, data[attr])
        sw.set(item, "room", rooms[data["room"]] if data["room"] else None)
        _apply_links(session, item, data["speakers"], people, sw)
        if sw.changed:
            w.changed = True
        if before is not None and sw.changed:
            after = _session_snapshot(item, tzname)
            summary = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            if summary:
                moved = {"starts_at", "ends_at", "room"} & set(summary)
                action = "moved" if moved else "updated"
                if record:
                    _record_change(session, event, item.key, action, summary, user)
                changes.append(f"{action} {item.key}")
    return changes


def _drop_missing(session, collection, existing: dict, wanted: list[dict], w, before=None):
    """Delete the children of ``existing`` (key -> row) whose key is not in ``wanted``;
    ``before(key, row)`` runs first for each."""
    keys = {data["key"] for data in wanted}
    for key, row in list(existing.items()):
        if key not in keys:
            if before is not None:
                before(key, row)
            collection.remove(row)
            session.delete(row)
            w.changed = True


def _apply_links(session, item: Session, links: list[dict], people: dict[str, Person], w: _Writer):
    existing = {link.person.key: link for link in item.speakers if link.person is not None}
    wanted = {link["key"] for link in links}
    for key, link in list(existing.items()):
        if key not in wanted:
            item.speakers.remove(link)
            session.delete(link)
            w.changed = True
    for position, data in enumerate(links):
        link = existing.get(data["key"])
        if link is None:
            link = SessionPerson(person=people[data["key"]], role=data["role"], position=position)
            item.speakers.append(link)
            w.changed = True
        w.set(link, "role", data["role"])
        w.set(link, "position", position)


def _record_change(session, event, key, action, summary, user) -> None:
    if event.status != "published":
        return
    session.add(
        AgendaChange(event=event, session_key=key, action=action, summary=summary, user=user)
    )
