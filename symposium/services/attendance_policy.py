"""Attendance that counts: what makes a registrant eligible for a certificate of attendance.

Per event, in ``Event.settings["attendance"]``:

- ``sources``: the ways of recording attendance that count, any of
  ``door`` (checked in at the entrance or in a session room), ``online`` (opened their
  personal join link of a session, a ``SessionJoin`` row), ``import`` (listed in an imported
  attendance report) and ``manual`` (marked by hand by an organiser). Default: all four.
- ``min_sessions``: an optional minimum number of sessions (default: none, any recorded
  attendance is enough).

How sessions are counted: the distinct sessions of the event, breaks excluded, in which the
registration was checked in at the room door (``SessionRegistration.attended_at``, when
``door`` counts) or joined online (``SessionJoin``, when ``online`` counts); a session
attended both ways counts once. The event-level marks are not sessions: a check-in at the
entrance counts as attendance, but towards a minimum only the per-session check-ins count.
An imported report or a mark by hand is taken as meeting the minimum (the organiser vouches
for the whole attendance), when that source counts.

A registration records one event-level mark (``Registration.attendance_source``): the first
way its attendance was recorded (an import does not replace an earlier door check-in).

The feedback gate: when ``Event.settings["feedback"]["required_for_certificate"]`` is true and
the event has questions, a registration without a feedback response is not yet eligible.

Everything is decided by one rule (``evaluate``) on facts read in one query, for one
registration or for all of an event's (no query per registration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session

from ..models import (
    Event,
    FeedbackQuestion,
    FeedbackResponse,
    Registration,
    SessionJoin,
    SessionRegistration,
)
from ..models import Session as AgendaSession
from . import audit

SOURCES = ("door", "online", "import", "manual")
SESSION_SOURCES = ("door", "online")  # sources that count sessions
VOUCHING_SOURCES = ("import", "manual")  # event-level marks taken as meeting a minimum
MAX_MIN_SESSIONS = 500

# Why a registration is not (yet) eligible
NOT_CONFIRMED = "not_confirmed"
NOT_ATTENDED = "not_attended"
TOO_FEW_SESSIONS = "too_few_sessions"
FEEDBACK = "feedback"


class PolicyError(Exception):
    """A policy that cannot be saved; the message is translated."""

    def __init__(self, message: str, field: str = "sources"):
        super().__init__(message)
        self.message = message
        self.field = field


# --------------------------------------------------------------------------- the policy


@dataclass(frozen=True)
class AttendancePolicy:
    sources: tuple[str, ...] = SOURCES
    min_sessions: int | None = None

    def counts(self, source: str | None) -> bool:
        return source in self.sources

    def as_dict(self) -> dict:
        return {"sources": list(self.sources), "min_sessions": self.min_sessions}


def _clean_sources(raw) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple):
        return SOURCES
    return tuple(s for s in SOURCES if s in raw)


def _clean_min(raw) -> int | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= MAX_MIN_SESSIONS else None


def get_policy(event: Event) -> AttendancePolicy:
    raw = (event.settings or {}).get("attendance") or {}
    sources = _clean_sources(raw.get("sources", list(SOURCES)))
    return AttendancePolicy(
        sources=sources or SOURCES, min_sessions=_clean_min(raw.get("min_sessions"))
    )


def countable_sessions(session: OrmSession, event: Event) -> int:
    """How many of the event's sessions can count towards a minimum (breaks excluded)."""
    return (
        session.scalar(
            select(func.count(AgendaSession.id)).where(
                AgendaSession.event_id == event.id, AgendaSession.kind != "break"
            )
        )
        or 0
    )


def check_policy(session: OrmSession, event: Event, policy: AttendancePolicy) -> None:
    """Raise ``PolicyError`` (translated) for a policy that would make no sense."""
    if not policy.sources or any(s not in SOURCES for s in policy.sources):
        raise PolicyError(_("Choose at least one way of recording attendance."), "sources")
    if policy.min_sessions is None:
        return
    if not 1 <= policy.min_sessions <= MAX_MIN_SESSIONS:
        raise PolicyError(
            _("Enter a whole number between 1 and %(max)s.", max=MAX_MIN_SESSIONS),
            "min_sessions",
        )
    if not any(s in SESSION_SOURCES for s in policy.sources):
        raise PolicyError(
            _(
                "A minimum number of sessions needs check-ins in the session rooms or online "
                "joins to count."
            ),
            "min_sessions",
        )
    available = countable_sessions(session, event)
    if policy.min_sessions > available:
        raise PolicyError(
            ngettext(
                "The programme has only %(num)d session that counts (breaks excluded).",
                "The programme has only %(num)d sessions that count (breaks excluded).",
                available,
            ),
            "min_sessions",
        )


def update_policy(
    session: OrmSession, event: Event, policy: AttendancePolicy, *, user=None
) -> AttendancePolicy:
    policy = AttendancePolicy(
        sources=tuple(s for s in SOURCES if s in policy.sources), min_sessions=policy.min_sessions
    )
    check_policy(session, event, policy)
    settings = dict(event.settings or {})
    settings["attendance"] = policy.as_dict()
    event.settings = settings  # a new dict: the JSON column sees the change
    audit.record(session, "attendance.policy", user=user, event=event, details=policy.as_dict())
    session.flush()
    return policy


def feedback_required(session: OrmSession, event: Event) -> bool:
    """The feedback gate is on: the setting, and the event has questions to answer."""
    raw = (event.settings or {}).get("feedback") or {}
    if not raw.get("required_for_certificate"):
        return False
    return (
        session.scalar(
            select(FeedbackQuestion.id).where(FeedbackQuestion.event_id == event.id).limit(1)
        )
        is not None
    )


# --------------------------------------------------------------------------- the facts


@dataclass(frozen=True)
class AttendanceFacts:
    """What is recorded of one registration's attendance."""

    status: str
    mark: str | None  # the event-level mark: door / import / manual (/ online), or None
    marked_at: datetime | None
    door_sessions: int  # distinct sessions checked in at the room door (breaks excluded)
    online_sessions: int  # distinct sessions joined online (breaks excluded)
    any_sessions: int  # distinct sessions either way
    feedback: bool  # has answered the questionnaire

    @classmethod
    def from_row(cls, registration: Registration, door, online, both, feedback) -> AttendanceFacts:
        marked = registration.checked_in_at
        mark = (registration.attendance_source or "door") if marked is not None else None
        return cls(
            status=registration.status,
            mark=mark,
            marked_at=marked,
            door_sessions=door or 0,
            online_sessions=online or 0,
            any_sessions=both or 0,
            feedback=bool(feedback),
        )

    def sessions(self, policy: AttendancePolicy) -> int:
        """The sessions that count under ``policy``."""
        door, online = policy.counts("door"), policy.counts("online")
        if door and online:
            return self.any_sessions
        if door:
            return self.door_sessions
        if online:
            return self.online_sessions
        return 0


def evaluate(policy: AttendancePolicy, facts: AttendanceFacts, gate: bool = False) -> str | None:
    """Why the registration is not eligible (a reason code), or None when it is."""
    if facts.status != "confirmed":
        return NOT_CONFIRMED
    sessions = facts.sessions(policy)
    mark_counts = facts.mark is not None and policy.counts(facts.mark)
    if policy.min_sessions is None:
        attended = mark_counts or sessions > 0
    else:
        attended = (mark_counts and facts.mark in VOUCHING_SOURCES) or (
            sessions >= policy.min_sessions
        )
    if not attended:
        if policy.min_sessions is not None and (mark_counts or sessions > 0):
            return TOO_FEW_SESSIONS
        return NOT_ATTENDED
    if gate and not facts.feedback:
        return FEEDBACK
    return None


def _facts_select(event: Event, registration_ids: list[int] | None = None):
    """Registration, door sessions, online sessions, sessions either way, feedback id."""
    countable = select(AgendaSession.id).where(
        AgendaSession.event_id == event.id, AgendaSession.kind != "break"
    )
    door = select(
        SessionRegistration.registration_id.label("rid"),
        SessionRegistration.session_id.label("sid"),
    ).where(
        SessionRegistration.attended_at.is_not(None), SessionRegistration.session_id.in_(countable)
    )
    online = select(
        SessionJoin.registration_id.label("rid"), SessionJoin.session_id.label("sid")
    ).where(SessionJoin.session_id.in_(countable))
    if registration_ids is not None:
        door = door.where(SessionRegistration.registration_id.in_(registration_ids))
        online = online.where(SessionJoin.registration_id.in_(registration_ids))
    # (registration, session) is unique in both tables: count(*) counts distinct sessions
    door_sq, online_sq, both_sq = door.subquery(), online.subquery(), union(door, online).subquery()
    door_n = (
        select(door_sq.c.rid, func.count().label("n")).group_by(door_sq.c.rid).subquery("door_n")
    )
    online_n = (
        select(online_sq.c.rid, func.count().label("n"))
        .group_by(online_sq.c.rid)
        .subquery("online_n")
    )
    both_n = (
        select(both_sq.c.rid, func.count().label("n")).group_by(both_sq.c.rid).subquery("both_n")
    )
    query = (
        select(Registration, door_n.c.n, online_n.c.n, both_n.c.n, FeedbackResponse.id)
        .outerjoin(door_n, door_n.c.rid == Registration.id)
        .outerjoin(online_n, online_n.c.rid == Registration.id)
        .outerjoin(both_n, both_n.c.rid == Registration.id)
        .outerjoin(FeedbackResponse, FeedbackResponse.registration_id == Registration.id)
        .where(Registration.event_id == event.id)
    )
    if registration_ids is not None:
        query = query.where(Registration.id.in_(registration_ids))
    return query, both_n


@dataclass
class AttendanceRow:
    registration: Registration
    facts: AttendanceFacts
    reason: str | None

    @property
    def eligible(self) -> bool:
        return self.reason is None


def _rows(session: OrmSession, query, policy: AttendancePolicy, gate: bool) -> list[AttendanceRow]:
    out = []
    for registration, door, online, both, feedback in session.execute(query):
        facts = AttendanceFacts.from_row(registration, door, online, both, feedback)
        out.append(AttendanceRow(registration, facts, evaluate(policy, facts, gate)))
    return out


def eligible_registrations(session: OrmSession, event: Event) -> list[Registration]:
    """The event's registrations eligible for a certificate of attendance, by id (one query
    whatever their number)."""
    policy, gate = get_policy(event), feedback_required(session, event)
    query, both_n = _facts_select(event)
    # only registrations with some attendance can be eligible: read no others
    query = query.where(
        Registration.status == "confirmed",
        (Registration.checked_in_at.is_not(None)) | (both_n.c.n > 0),
    ).order_by(Registration.id)
    return [r.registration for r in _rows(session, query, policy, gate) if r.eligible]


def attendance_rows(
    session: OrmSession, event: Event, *, offset: int = 0, limit: int | None = None
) -> list[AttendanceRow]:
    """The confirmed registrations with their attendance and eligibility, by name."""
    policy, gate = get_policy(event), feedback_required(session, event)
    query, _both = _facts_select(event)
    query = query.where(Registration.status == "confirmed").order_by(
        Registration.full_name, Registration.id
    )
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return _rows(session, query, policy, gate)


@dataclass
class CertificateState:
    """A registration's certificate of attendance: eligible, or why not yet."""

    reason: str | None
    facts: AttendanceFacts
    policy: AttendancePolicy = field(default_factory=AttendancePolicy)

    @property
    def eligible(self) -> bool:
        return self.reason is None

    @property
    def message(self) -> str:
        """For the registrant."""
        return reason_message(self.reason, self.facts, self.policy)

    @property
    def staff_message(self) -> str:
        """For organisers and API clients."""
        return staff_reason_message(self.reason)


def certificate_state(
    registration: Registration, session: OrmSession | None = None
) -> CertificateState:
    session = session or object_session(registration)
    event = registration.event
    policy = get_policy(event)
    query, _both = _facts_select(event, [registration.id])
    row = session.execute(query).one_or_none()
    if row is None:  # not written yet: only its own columns are known
        row = (registration, 0, 0, 0, None)
    facts = AttendanceFacts.from_row(*row)
    return CertificateState(
        evaluate(policy, facts, feedback_required(session, event)), facts, policy
    )


def reason_message(
    reason: str | None, facts: AttendanceFacts | None = None, policy: AttendancePolicy | None = None
) -> str:
    """The translated explanation of ``reason`` for the registrant."""
    if reason is None:
        return ""
    if reason == NOT_CONFIRMED:
        return _("This registration is not confirmed.")
    if reason == FEEDBACK:
        return _("Answer the feedback questionnaire to receive your certificate.")
    if reason == TOO_FEW_SESSIONS and facts is not None and policy is not None:
        return ngettext(
            "Your attendance has been recorded in %(count)s of the %(num)d required session.",
            "Your attendance has been recorded in %(count)s of the %(num)d required sessions.",
            policy.min_sessions or 0,
            count=facts.sessions(policy),
        )
    return _("Your attendance has not been recorded.")


def staff_reason_message(reason: str | None) -> str:
    """The translated explanation of ``reason`` for organisers and API clients."""
    if reason is None:
        return ""
    if reason == NOT_CONFIRMED:
        return _("This registration is not confirmed.")
    if reason == FEEDBACK:
        return _("This registrant has not answered the feedback questionnaire yet.")
    if reason == TOO_FEW_SESSIONS:
        return _("This registration does not reach the minimum number of sessions.")
    return _("This registration is not marked as attended.")
