"""Shared pieces of the interchange format: names, keys, the error and result types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ...i18n import utc_to_local
from ...models import (
    Event,
)

FORMAT_NAME = "symposium-event"
FORMAT_VERSION = 1

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
KEY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,78}[A-Za-z0-9])?$")

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
    "photo",
    "photo_path",  # refused unless null (documents written before photos travelled inline)
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
    "languages",  # spoken languages: ["ar"]
    "interpretation",  # channels from-into: ["ar-en", "ar-fr"]
    "online_url",  # the meeting or stream (never public)
    "recording_url",
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


def _i18n_out(value: dict | None) -> dict[str, str]:
    return {k: value[k] for k in sorted(value or {}) if value[k]}


def _local_out(dt: datetime | None, tzname: str) -> str | None:
    if dt is None:
        return None
    local = utc_to_local(dt, tzname).replace(tzinfo=None)
    spec = "minutes" if local.second == 0 and local.microsecond == 0 else "seconds"
    return local.replace(microsecond=0).isoformat(timespec=spec)
