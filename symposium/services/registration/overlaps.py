"""One seat per person per time slot.

A registration cannot hold a seat, a place on a waiting list or a pending choice in two
capacity-limited sessions whose times overlap: two workshops at 10:30–12:00 would keep a seat
from someone else. Times are half-open intervals ``[starts_at, ends_at)`` compared as instants
(stored in UTC, entered in the event's timezone), so back-to-back sessions do not overlap.
Sessions without their own capacity (plenaries) never conflict.

Where the rule is enforced
- ``register``: on the chosen sessions, before anything is written. The same person submitting
  twice at once is serialised by the unique (event, email) insert: only the first submission
  places sessions, the second is "already registered".
- ``change_sessions``: after the event lock is taken and the registration's sign-ups are read
  again, so the check sees every committed change of the same person.
- Promotions never give a person a second seat in an overlapping session: such a person can
  only be waiting for both when an organiser allowed it, and then the freed seat goes to the
  next person waiting (see ``waitlists``).
- An organiser's manual registration may override the rule; it is recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from ...i18n import current_language
from ...models import Session, SessionRegistration
from .checks import SIGNUP_CONFIRMED, RegistrationError


class SessionOverlapError(RegistrationError):
    """Two chosen sessions take place at the same time; ``sessions`` holds them."""

    def __init__(self, first: Session, second: Session):
        lang = current_language()
        super().__init__(
            _(
                "“%(first)s” and “%(second)s” take place at the same time: "
                "please choose only one of them.",
                first=first.t("title", lang),
                second=second.t("title", lang),
            ),
            "sessions",
        )
        self.sessions = (first, second)


def sessions_overlap(a: Session, b: Session) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def overlapping_pairs(items: Iterable[Session]) -> list[tuple[Session, Session]]:
    """Every pair of capacity-limited sessions of ``items`` whose times overlap, earlier first."""
    limited = sorted(
        (item for item in items if item.capacity is not None),
        key=lambda item: (item.starts_at, item.ends_at, item.id or 0),
    )
    pairs = []
    for i, first in enumerate(limited):
        for second in limited[i + 1 :]:
            if second.starts_at >= first.ends_at:
                break  # sorted by start: no later session can overlap ``first``
            if first.id != second.id:
                pairs.append((first, second))
    return pairs


def refuse_overlaps(items: Iterable[Session], new_ids: set[int] | None = None) -> None:
    """Raise SessionOverlapError for the first overlapping pair; with ``new_ids``, only for
    the pairs involving a newly chosen session (an overlap an organiser allowed stays)."""
    for first, second in overlapping_pairs(items):
        if new_ids is None or first.id in new_ids or second.id in new_ids:
            raise SessionOverlapError(first, second)


def holds_overlapping_seat(signup_table, item: Session):
    """SQL condition: the registration of ``signup_table``'s row holds a confirmed seat in
    another capacity-limited session overlapping ``item`` (for promotions)."""
    other = aliased(SessionRegistration)
    other_session = aliased(Session)
    return exists(
        select(other.id)
        .join(other_session, other_session.id == other.session_id)
        .where(
            other.registration_id == signup_table.registration_id,
            other.session_id != item.id,
            other.status == SIGNUP_CONFIRMED,
            other_session.capacity.is_not(None),
            other_session.starts_at < item.ends_at,
            other_session.ends_at > item.starts_at,
        )
    )
