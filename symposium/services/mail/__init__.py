"""Email: written to the outbox table in the caller's transaction, delivered by a background job.

- ``message``: building messages (``build_message``, the fast ``build_raw``), each with its
  Message-ID, a ``+0000`` Date and any extra headers (List-Unsubscribe).
- ``outbox``: ``queue_email(session, ...)`` adds an OutboxEmail row (nothing leaves before the
  commit); after the commit, delivery is enqueued; ``queue_status`` counts the queue.
- ``delivery``: ``deliver_pending`` claims due emails with a short lease renewed while sending,
  over SMTP when MAIL_SERVER is set, else into ``instance/outbox/*.eml``; failed attempts are
  retried with back-off, then marked failed with their reason.
- ``sweep``: the periodic job that renders owed emails and delivers the outbox.
"""

from __future__ import annotations

from flask import Flask

from .delivery import CLAIM_SIZE, claim_batch, deliver_pending, send_claim
from .message import (
    Attachment,
    RawEmail,
    build_message,
    build_raw,
    clean_header_text,
    has_control_characters,
    message_domain,
)
from .outbox import init_outbox_hook, queue_email, queue_status, record_failed

__all__ = [
    "CLAIM_SIZE",
    "Attachment",
    "RawEmail",
    "build_message",
    "build_raw",
    "claim_batch",
    "clean_header_text",
    "deliver_pending",
    "has_control_characters",
    "init_app",
    "init_outbox_hook",
    "message_domain",
    "queue_email",
    "queue_status",
    "record_failed",
    "send_claim",
]


def init_app(app: Flask) -> None:
    """Deliver after each commit that queued email, and sweep the queue periodically."""
    from ... import scheduler
    from .. import notices  # noqa: F401 - its after-commit hook renders owed emails
    from .sweep import PATH

    init_outbox_hook()
    scheduler.register_periodic(
        "mail-sweep", float(app.config.get("MAIL_SWEEP_SECONDS") or 60), PATH
    )
    scheduler.init_app(app)
