"""What the API reads and writes (marshmallow schemas; the OpenAPI document is made from them)."""

from __future__ import annotations

import marshmallow as ma
from flask import g, url_for
from marshmallow import validate

from ...extensions import db
from ...i18n import LANGUAGES, localize, utc_to_local
from ...models import ATTENDANCE_MODES, REGISTRATION_STATUSES, SESSION_KINDS, SPEAKER_ROLES
from ...services.guids import event_guid, person_guid, session_guid
from ...services.registration import confirmed_total
from ...services.session_languages import parse_channel

_I18N_DOC = {
    "oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": {"type": "string"}},
    ],
    "description": "Text in the chosen language; with ?lang=all, every language's text.",
}
_DATETIME_DOC = {"type": "string", "format": "date-time"}


def _event_of(obj):
    return obj if hasattr(obj, "default_language") else getattr(obj, "event", None)


class I18nText(ma.fields.Field):
    """A multilingual field: one language (with the event's fallback) or, with lang=all, all."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {**_I18N_DOC, **kwargs.get("metadata", {})}
        super().__init__(dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        lang = g.get("api_lang", "en")
        if lang == "all":
            return {k: v for k, v in (value or {}).items() if isinstance(v, str) and v}
        event = _event_of(obj)
        return localize(value, lang, event.default_language if event is not None else None)


class LocalDateTime(ma.fields.Field):
    """An instant in the event's timezone, ISO 8601 with its offset."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {**_DATETIME_DOC, **kwargs.get("metadata", {})}
        super().__init__(dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        event = _event_of(obj)
        return utc_to_local(value, event.timezone).isoformat()


class OutSchema(ma.Schema):
    class Meta:
        ordered = True


class EventSchema(OutSchema):
    slug = ma.fields.String(required=True)
    guid = ma.fields.Function(
        lambda e: event_guid(e), metadata={"type": "string", "format": "uuid"}
    )
    title = I18nText(required=True)
    description = I18nText()
    venue_name = I18nText()
    venue_address = I18nText()
    organisers = I18nText()
    timezone = ma.fields.String(required=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    default_language = ma.fields.String(required=True)
    languages = ma.fields.List(ma.fields.String())
    status = ma.fields.String(required=True)
    registration_open = ma.fields.Boolean(required=True)
    capacity = ma.fields.Integer(allow_none=True)
    confirmed_count = ma.fields.Function(
        lambda e: confirmed_total(db.session, e), metadata={"type": "integer"}
    )
    agenda_version = ma.fields.Integer()
    url = ma.fields.Function(
        lambda e: url_for("public.event", slug=e.slug, lang=_page_lang(e), _external=True),
        metadata={"type": "string", "format": "uri"},
    )


class RoomSchema(OutSchema):
    key = ma.fields.String(required=True)
    name = I18nText(required=True)
    capacity = ma.fields.Integer(allow_none=True)
    position = ma.fields.Integer()


class SessionSpeakerSchema(OutSchema):
    key = ma.fields.Function(lambda link: link.person.key, metadata={"type": "string"})
    role = ma.fields.String(metadata={"enum": list(SPEAKER_ROLES)})


class ChannelSchema(OutSchema):
    """An interpretation channel: from the spoken language ``from`` into ``to``."""

    source = ma.fields.String(data_key="from", required=True)
    target = ma.fields.String(data_key="to", required=True)


class ChannelList(ma.fields.List):
    """``["ar-en"]`` as ``[{"from": "ar", "to": "en"}]`` (channels that do not parse are left
    out)."""

    def __init__(self, **kwargs):
        super().__init__(ma.fields.Nested(ChannelSchema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        parsed = [parse_channel(v) for v in (value or [])]
        return super()._serialize([c for c in parsed if c], attr, obj, **kwargs)


class SessionSchema(OutSchema):
    key = ma.fields.String(required=True)
    guid = ma.fields.Function(
        lambda s: session_guid(s.event, s), metadata={"type": "string", "format": "uuid"}
    )
    kind = ma.fields.String(required=True, metadata={"enum": list(SESSION_KINDS)})
    title = I18nText(required=True)
    abstract = I18nText()
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    room = ma.fields.Function(
        lambda s: s.room.key if s.room else None, metadata={"type": ["string", "null"]}
    )
    capacity = ma.fields.Integer(allow_none=True)
    confirmed_count = ma.fields.Integer()
    track = ma.fields.String(allow_none=True)
    speakers = ma.fields.List(ma.fields.Nested(SessionSpeakerSchema))
    languages = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Languages spoken in the session (ISO 639-1); [] if not stated."},
    )
    interpretation = ChannelList(
        metadata={"description": "Interpretation channels offered, e.g. from ar to en."},
    )
    url = ma.fields.Function(
        lambda s: url_for(
            "public.session_detail",
            slug=s.event.slug,
            key=s.key,
            lang=_page_lang(s.event),
            _external=True,
        ),
        metadata={"type": "string", "format": "uri"},
    )


class SpeakerSchema(OutSchema):
    key = ma.fields.String(required=True)
    guid = ma.fields.Function(
        lambda p: person_guid(p.event, p), metadata={"type": "string", "format": "uuid"}
    )
    name = I18nText(required=True)
    title = I18nText()
    organisation = I18nText()
    city = I18nText()
    country = ma.fields.String(allow_none=True)
    bio = I18nText(metadata={"description": "Sanitised HTML."})
    sessions = ma.fields.Function(
        lambda p: sorted({link.session.key for link in p.sessions}),
        metadata={"type": "array", "items": {"type": "string"}},
    )
    url = ma.fields.Function(
        lambda p: url_for(
            "public.speaker", slug=p.event.slug, key=p.key, lang=_page_lang(p.event), _external=True
        ),
        metadata={"type": "string", "format": "uri"},
    )


class ChangeSchema(OutSchema):
    id = ma.fields.Integer(required=True)
    session_key = ma.fields.String(allow_none=True)
    action = ma.fields.String(required=True)
    at = LocalDateTime(required=True)
    summary = ma.fields.Dict(metadata={"description": "Changed field -> [old value, new value]."})


class SignupSchema(OutSchema):
    session = ma.fields.Function(lambda s: s.session.key, metadata={"type": "string"})
    status = ma.fields.String(metadata={"enum": ["confirmed", "waitlisted", "pending"]})
    attended_at = LocalDateTime(allow_none=True)


class RegistrationSchema(OutSchema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(REGISTRATION_STATUSES)})
    full_name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    organisation = ma.fields.String(allow_none=True)
    job_title = ma.fields.String(allow_none=True)
    country = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    attendance_mode = ma.fields.String(metadata={"enum": list(ATTENDANCE_MODES)})
    preferred_language = ma.fields.String()
    source = ma.fields.String()
    created_at = LocalDateTime(required=True)
    confirmed_at = LocalDateTime(allow_none=True)
    cancelled_at = LocalDateTime(allow_none=True)
    checked_in_at = LocalDateTime(allow_none=True)
    sessions = ma.fields.List(ma.fields.Nested(SignupSchema), attribute="session_signups")


class RegistrationPageSchema(OutSchema):
    items = ma.fields.List(ma.fields.Nested(RegistrationSchema), required=True)
    next_cursor = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Give it as ?cursor= for the next page; null on the last."},
    )


class CheckinSchema(OutSchema):
    status = ma.fields.String(required=True, metadata={"enum": ["ok", "already"]})
    message = ma.fields.String(required=True)
    registration = ma.fields.Nested(RegistrationSchema, required=True)


# ------------------------------------------------------------------------------------- input


class InSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class LanguageArgs(InSchema):
    lang = ma.fields.String(
        validate=validate.OneOf([*LANGUAGES, "all"]),
        metadata={"description": "ar, en, fr, or all (multilingual fields whole)."},
    )


_LANGUAGE_CODE = validate.Regexp(r"^[a-z]{2,3}$")


class SessionListArgs(LanguageArgs):
    language = ma.fields.String(
        validate=_LANGUAGE_CODE,
        metadata={
            "description": "Only the sessions one can follow in this language (ISO 639-1): "
            "spoken in it or interpreted into it."
        },
    )


class RegistrationListArgs(LanguageArgs):
    status = ma.fields.String(validate=validate.OneOf(REGISTRATION_STATUSES))
    attendance_mode = ma.fields.String(validate=validate.OneOf(ATTENDANCE_MODES))
    checked_in = ma.fields.Boolean()
    q = ma.fields.String(validate=validate.Length(max=200), metadata={"description": "Search."})
    cursor = ma.fields.String(validate=validate.Length(max=40))
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RegistrationCreateSchema(InSchema):
    full_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = ma.fields.String(required=True, validate=validate.Length(min=3, max=254))
    organisation = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    job_title = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    country = ma.fields.String(allow_none=True, validate=validate.Length(equal=2))
    city = ma.fields.String(allow_none=True, validate=validate.Length(max=120))
    attendance_mode = ma.fields.String(
        load_default="in_person", validate=validate.OneOf(ATTENDANCE_MODES)
    )
    preferred_language = ma.fields.String(load_default="ar", validate=validate.OneOf(LANGUAGES))
    sessions = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=80)),
        load_default=list,
        validate=validate.Length(max=100),
    )
    accessibility_needs = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


class CheckinArgs(InSchema):
    override = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Administrators only: check in before the event starts (audited)."
        },
    )


class CheckinByCodeSchema(InSchema):
    code = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "The content of the ticket's QR code."},
    )


def _page_lang(event) -> str:
    lang = g.get("api_lang", "en")
    if lang in LANGUAGES:
        return lang
    return event.default_language if event.default_language in LANGUAGES else "en"


def _i18n_input(max_length: int):
    return ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(LANGUAGES)),
        values=ma.fields.String(validate=validate.Length(max=max_length)),
        metadata={"description": 'Text per language: {"ar": "…", "en": "…"}.'},
    )


_KEY = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_LOCAL_DOC = {
    "description": (
        "Local time in the event's timezone (2027-01-24T10:30), or any ISO 8601 time with an "
        "offset, which is converted."
    )
}


class SessionSpeakerInSchema(InSchema):
    key = ma.fields.String(required=True, validate=_KEY)
    role = ma.fields.String(load_default="speaker", validate=validate.OneOf(SPEAKER_ROLES))


class ChannelInSchema(InSchema):
    source = ma.fields.String(data_key="from", required=True, validate=_LANGUAGE_CODE)
    target = ma.fields.String(data_key="to", required=True, validate=_LANGUAGE_CODE)


class SessionWriteSchema(InSchema):
    """A new session (POST) or the fields to change (PATCH)."""

    key = ma.fields.String(validate=_KEY, metadata={"description": "Only when creating."})
    kind = ma.fields.String(validate=validate.OneOf(SESSION_KINDS))
    title = _i18n_input(500)
    abstract = _i18n_input(20000)
    starts_at = ma.fields.DateTime(metadata=_LOCAL_DOC)
    ends_at = ma.fields.DateTime(metadata=_LOCAL_DOC)
    room = ma.fields.String(allow_none=True, validate=_KEY)
    capacity = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    track = ma.fields.String(allow_none=True, validate=validate.Length(max=120))
    speakers = ma.fields.List(
        ma.fields.Nested(SessionSpeakerInSchema), validate=validate.Length(max=100)
    )
    languages = ma.fields.List(
        ma.fields.String(validate=_LANGUAGE_CODE),
        validate=validate.Length(max=10),
        metadata={"description": "Spoken languages (ISO 639-1 codes)."},
    )
    interpretation = ma.fields.List(
        ma.fields.Nested(ChannelInSchema),
        validate=validate.Length(max=20),
        metadata={"description": 'Interpretation channels: [{"from": "ar", "to": "en"}].'},
    )


class SpeakerWriteSchema(InSchema):
    """A new speaker (POST) or the fields to change (PATCH)."""

    key = ma.fields.String(validate=_KEY, metadata={"description": "Only when creating."})
    name = _i18n_input(200)
    title = _i18n_input(300)
    organisation = _i18n_input(300)
    city = _i18n_input(120)
    bio = _i18n_input(20000)
    country = ma.fields.String(allow_none=True, validate=validate.Length(equal=2))
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=254))


class CertificateSchema(OutSchema):
    number = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    holder_name = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    issued_at = LocalDateTime(required=True)
    revoked_at = LocalDateTime(allow_none=True)
    revocation_reason = ma.fields.String(allow_none=True)
    registration_id = ma.fields.Integer(allow_none=True)
    speaker = ma.fields.Function(
        lambda c: c.person.key if c.person is not None else None,
        metadata={"type": ["string", "null"]},
    )
    verify_url = ma.fields.Function(
        lambda c: url_for(
            "public.verify",
            code=c.code,
            lang=c.language if c.language in LANGUAGES else "en",
            _external=True,
        ),
        metadata={"type": "string", "format": "uri"},
    )
    pdf_url = ma.fields.Function(
        lambda c: url_for(
            "api_v1_certificates.certificate_pdf",
            slug=c.event.slug,
            number=c.number,
            _external=True,
        ),
        metadata={
            "type": "string",
            "format": "uri",
            "description": "The PDF (the same token is needed to download it).",
        },
    )


class IssueArgs(InSchema):
    override = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Administrators only: issue before the event starts (audited)."},
    )


class RevokeSchema(InSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class AttendanceSchema(InSchema):
    emails = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=3, max=254)),
        required=True,
        validate=validate.Length(min=1, max=10000),
        metadata={"description": "The email addresses of the people who attended."},
    )


class AttendanceResultSchema(OutSchema):
    marked = ma.fields.Integer(required=True)
    already = ma.fields.Integer(required=True)
    unknown = ma.fields.List(ma.fields.String(), required=True)
    not_confirmed = ma.fields.List(ma.fields.List(ma.fields.String()), required=True)
    rows = ma.fields.Integer(required=True)
