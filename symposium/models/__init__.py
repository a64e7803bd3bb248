"""All models, importable from one place."""

from .api import TOKEN_SCOPES, ApiToken, IdempotencyRecord
from .certificate import CERTIFICATE_KINDS, Certificate, Signatory
from .event import (
    EVENT_STATUSES,
    SESSION_KINDS,
    SPEAKER_ROLES,
    AgendaChange,
    Event,
    Person,
    Room,
    Session,
    SessionPerson,
)
from .hybrid import (
    MATERIAL_KINDS,
    QUESTION_KINDS,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    ReminderLog,
    SessionJoin,
    SessionMaterial,
)
from .ops import AuditLog, Job, OutboxEmail
from .registration import (
    ATTENDANCE_MODES,
    REGISTRATION_STATUSES,
    Counter,
    Registration,
    SessionRegistration,
)
from .user import ROLES, User, user_event
from .webhook import WEBHOOK_EVENT_TYPES, WebhookDelivery, WebhookEndpoint

__all__ = [
    "MATERIAL_KINDS",
    "QUESTION_KINDS",
    "FeedbackAnswer",
    "FeedbackQuestion",
    "FeedbackResponse",
    "ReminderLog",
    "SessionJoin",
    "SessionMaterial",
    "WEBHOOK_EVENT_TYPES",
    "WebhookDelivery",
    "WebhookEndpoint",
    "TOKEN_SCOPES",
    "ApiToken",
    "IdempotencyRecord",
    "ATTENDANCE_MODES",
    "CERTIFICATE_KINDS",
    "EVENT_STATUSES",
    "REGISTRATION_STATUSES",
    "ROLES",
    "SESSION_KINDS",
    "SPEAKER_ROLES",
    "AgendaChange",
    "AuditLog",
    "Certificate",
    "Counter",
    "Event",
    "Job",
    "OutboxEmail",
    "Person",
    "Registration",
    "Room",
    "Session",
    "SessionPerson",
    "SessionRegistration",
    "Signatory",
    "User",
    "user_event",
]
