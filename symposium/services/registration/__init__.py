"""Attendee registration: capacity, waiting lists (event and sessions), cancellation, privacy.

Rules
- Seats are taken with an atomic conditional UPDATE of the counter column
  (``confirmed_count < capacity``) and the rowcount is checked: never count-then-insert.
- Every change to an event's registrations first locks the event row (``SELECT ... FOR UPDATE``
  on PostgreSQL; on SQLite every transaction is BEGIN IMMEDIATE, which serialises writers). The
  waiting-list order comes from a per-event ``Counter`` incremented under that lock, so FIFO
  order holds across processes, and a freed seat is never left empty while someone waits.
- A registration on the event's waiting list keeps its session choices as ``pending``: they take
  a session seat (or a place on the session's waiting list) when the registration is confirmed.
- Functions ``flush()``; the caller commits once. Emails are queued in the same transaction.

Modules
- ``checks``: the data a person gives, its checks and normalisation (no database);
- ``seats``: the event lock, seat counters, waiting-list numbers, placing a session choice;
- ``overlaps``: one seat per person per time slot;
- ``register``: the registration form's hot path (Core SQL) and finding registrations;
- ``waitlists``: waiting-list positions, promotions and cancellation;
- ``selfservice``: the changes a person makes to their own registration, and until when;
- ``privacy``: the personal link, "download my data" and "delete my data".

Everything is importable from ``symposium.services.registration`` as before the split.
"""

from __future__ import annotations

# Re-exported for the callers (and tests) that build queries through this module
from sqlalchemy import func, select

from .checks import (
    MAX_LENGTHS,
    SIGNUP_CONFIRMED,
    SIGNUP_PENDING,
    SIGNUP_WAITLISTED,
    CheckedData,
    RegistrationData,
    RegistrationError,
    check,
    email_problem,
    normalize_email,
    normalize_text,
    registration_closed_reason,
    text_problem,
)
from .overlaps import SessionOverlapError, overlapping_pairs
from .privacy import anonymise, export_data, personal_url
from .register import RegistrationResult, by_token, find_registration, register
from .seats import (
    RegistrationTarget,
    confirmed_total,
    load_target,
    lock_event,
    next_counter,
    signup_sessions,
)
from .selfservice import (
    SelfServiceActions,
    SelfServiceClosedError,
    cancel_own,
    change_own_sessions,
    change_sessions,
    selfservice_actions,
    selfservice_closed_reason,
)
from .waitlists import (
    Promotions,
    cancel,
    fill_free_seats,
    fill_free_session_seats,
    promote,
    session_waitlist_position,
    someone_waiting,
    waitlist_position,
)

__all__ = [
    "MAX_LENGTHS",
    "SIGNUP_CONFIRMED",
    "SIGNUP_PENDING",
    "SIGNUP_WAITLISTED",
    "CheckedData",
    "RegistrationData",
    "RegistrationError",
    "Promotions",
    "RegistrationResult",
    "RegistrationTarget",
    "SelfServiceActions",
    "SelfServiceClosedError",
    "SessionOverlapError",
    "anonymise",
    "by_token",
    "cancel",
    "cancel_own",
    "change_own_sessions",
    "change_sessions",
    "check",
    "email_problem",
    "export_data",
    "fill_free_seats",
    "fill_free_session_seats",
    "load_target",
    "find_registration",
    "func",
    "lock_event",
    "confirmed_total",
    "next_counter",
    "normalize_email",
    "normalize_text",
    "overlapping_pairs",
    "personal_url",
    "promote",
    "register",
    "registration_closed_reason",
    "select",
    "selfservice_actions",
    "selfservice_closed_reason",
    "session_waitlist_position",
    "someone_waiting",
    "signup_sessions",
    "text_problem",
    "waitlist_position",
]
