"""What an interchange import must never delete, checked before the import runs.

The importer itself refuses to drop a session that has sign-ups. A speaker who holds a
certificate is protected here: the certificate names them, so an import that leaves them out of
the file is refused (path and reason) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from ..models import Certificate, Event, Person


def _document_keys(data: Any, collection: str) -> set[str] | None:
    """The keys listed under ``collection`` in a raw document; None when it is not readable
    (the importer's own validation reports that)."""
    items = data.get(collection) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return {item["key"] for item in items if isinstance(item, dict) and "key" in item}


def removal_problems(session: OrmSession, event: Event | None, data: Any) -> list[str]:
    """Problems, by path, for the protected rows of ``event`` that ``data`` would delete."""
    if event is None:
        return []
    keys = _document_keys(data, "speakers")
    if keys is None:
        return []
    rows = session.execute(
        select(Person.key, func.count(Certificate.id))
        .join(Certificate, Certificate.person_id == Person.id)
        .where(Person.event_id == event.id)
        .group_by(Person.key)
        .order_by(Person.key)
    ).all()
    return [
        "speakers: "
        + ngettext(
            'speaker "%(key)s" has %(num)s certificate and cannot be removed; keep them in the file',
            'speaker "%(key)s" has %(num)s certificates and cannot be removed; keep them in the file',
            count,
            key=key,
        )
        for key, count in rows
        if key not in keys
    ]
