"""``Idempotency-Key`` on writes: a retried request gets the first answer, and does it once."""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import Response, make_response, request
from flask_babel import gettext as _
from flask_smorest import abort
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ...extensions import db
from ...models import IdempotencyRecord
from ...models.types import utcnow
from ...services.retention import IDEMPOTENCY_KEPT
from .auth import current_token

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "Location")
KEPT_FOR = IDEMPOTENCY_KEPT  # older answers are deleted by services/retention


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string):
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.body, status=record.status)
    for name, value in (record.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotency-Replayed"] = "true"
    return response


def _stored(token_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.token_id == token_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at >= utcnow() - KEPT_FOR,
        )
    )


def _forget_old(token_id: int) -> None:
    """A key is remembered for KEPT_FOR; older answers are deleted (and the key is free again)."""
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.token_id == token_id,
            IdempotencyRecord.created_at < utcnow() - KEPT_FOR,
        )
    )


def _check(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        abort(422, message=_("This Idempotency-Key was already used for another request."))
    return _replay(record)


def idempotent_write(view):
    """Run a write view and commit it once; with an Idempotency-Key, remember the answer.

    The answer is stored in the same transaction as the write, so a key is either unused or
    bound to exactly one committed write; two concurrent requests with one key make one write
    (the second meets the unique key, rolls back, and replays the first answer).
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            response = make_response(view(*args, **kwargs))
            db.session.commit()
            return response
        if not 1 <= len(key) <= 200 or not key.isprintable():
            abort(400, message=_("The Idempotency-Key must be 1 to 200 printable characters."))
        token = current_token()
        fingerprint = _fingerprint()
        record = _stored(token.id, key)
        if record is not None:
            return _check(record, fingerprint)
        try:
            response = make_response(view(*args, **kwargs))
        except HTTPException:
            # A concurrent request with the same key may have just done the write (this one then
            # meets, say, the duplicate email): it answers as the first one did
            db.session.rollback()
            record = _stored(token.id, key)
            if record is not None:
                return _check(record, fingerprint)
            raise
        if response.status_code < 500:
            _forget_old(token.id)
            db.session.add(
                IdempotencyRecord(
                    token_id=token.id,
                    key=key,
                    fingerprint=fingerprint,
                    status=response.status_code,
                    body=response.get_data(),
                    headers={h: response.headers[h] for h in KEPT_HEADERS if h in response.headers},
                )
            )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            record = _stored(token.id, key)
            if record is None:
                raise
            return _check(record, fingerprint)
        return response

    return wrapped
