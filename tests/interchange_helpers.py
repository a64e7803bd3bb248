"""Documents in the interchange format for the tests of the import/export and public pages."""

from __future__ import annotations

import copy

from sqlalchemy import func, select

from symposium.models import AgendaChange, Event, Person, Room, Session, SessionPerson

BASE_DOC = {
    "format": "symposium-event",
    "version": 1,
    "slug": "learning-days",
    "status": "published",
    "is_sample": False,
    "timezone": "Asia/Riyadh",
    "default_language": "ar",
    "languages": ["ar", "en", "fr"],
    "title": {"ar": "أيام التعلم", "en": "Learning days", "fr": "Journées de l'apprentissage"},
    "description": {"en": "Two days on learning cities."},
    "organisers": {},
    "starts_on": "2027-02-01",
    "ends_on": "2027-02-02",
    "capacity": 100,
    "registration_open": True,
    "registration_opens_at": None,
    "registration_closes_at": "2027-01-31T18:00",
    "hybrid": False,
    "online_url": None,
    "venue": {"name": {"en": "City hall"}, "address": {}},
    "settings": {},
    "rooms": [
        {"key": "main", "name": {"ar": "القاعة الكبرى", "en": "Main hall"}, "capacity": 80},
        {"key": "lab", "name": {"en": "Lab"}, "capacity": 20},
    ],
    "speakers": [
        {
            "key": "mayor",
            "name": {"ar": "رئيس البلدية", "en": "The mayor"},
            "title": {"en": "Mayor"},
            "organisation": {},
            "city": {},
            "country": "SA",
            "email": "mayor@example.org",
            "bio": {"en": "<p>Runs the city.</p>"},
            "photo": None,
        },
        {
            "key": "expert",
            "name": {"en": "The expert"},
            "title": {},
            "organisation": {},
            "city": {},
            "country": None,
            "email": None,
            "bio": {},
            "photo": None,
        },
    ],
    "sessions": [
        {
            "key": "opening",
            "kind": "opening",
            "title": {"ar": "الافتتاح", "en": "Opening", "fr": "Ouverture"},
            "abstract": {},
            "starts_at": "2027-02-01T09:00",
            "ends_at": "2027-02-01T09:30",
            "room": "main",
            "capacity": None,
            "track": None,
            "position": 0,
            "speakers": [{"key": "mayor", "role": "speaker"}],
            "languages": ["ar"],
            "interpretation": ["ar-en", "ar-fr"],
            "online_url": "https://meet.example.org/opening",
            "recording_url": "https://video.example.org/opening",
        },
        {
            "key": "lab-1",
            "kind": "workshop",
            "title": {"ar": "ورشة", "en": "Workshop"},
            "abstract": {"en": "Hands on."},
            "starts_at": "2027-02-01T10:00",
            "ends_at": "2027-02-01T11:30",
            "room": "lab",
            "capacity": 20,
            "track": "Practice",
            "position": 0,
            "speakers": [{"key": "expert", "role": "speaker"}, {"key": "mayor", "role": "chair"}],
            "languages": ["en"],
            "interpretation": [],
            "online_url": None,
            "recording_url": None,
        },
        {
            "key": "closing",
            "kind": "closing",
            "title": {"ar": "الختام", "en": "Closing"},
            "abstract": {},
            "starts_at": "2027-02-02T15:00",
            "ends_at": "2027-02-02T15:30",
            "room": None,
            "capacity": None,
            "track": None,
            "position": 0,
            "speakers": [],
            "languages": [],
            "interpretation": [],
            "online_url": None,
            "recording_url": None,
        },
    ],
}


def doc(**changes) -> dict:
    data = copy.deepcopy(BASE_DOC)
    data.update(changes)
    return data


def row_counts(session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Event, Room, Person, Session, SessionPerson, AgendaChange)
    }
