"""Where slides are kept: ``STORAGE_DIR/materials/<event id>/<random>.pdf``.

The name is made by the app (32 random hex digits); the row keeps it as ``storage_key`` and
``path_for`` accepts only a key of that shape in the folder of the row's own event, so a
row can never point the server at another file.

Files follow the transaction that writes their row: a file written for a transaction that
is rolled back is deleted, and a file whose row is deleted goes only once that is committed.
Anything left behind by a crash (or by an event deleted with its rows) is removed by a
periodic sweep (``sweep_orphans``) once it is older than ``ORPHAN_GRACE``.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

KEY_RE = re.compile(r"^materials/(?P<event>[0-9]+)/(?P<name>[0-9a-f]{32}\.pdf)$")
ORPHAN_GRACE = timedelta(hours=6)
SWEEP_PATH = "symposium.services.materials.storage:sweep_orphans"
_WRITTEN = "materials_written"
_UNLINK = "materials_unlink"
_hooks_installed = False


def root() -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / "materials"


def event_dir(event_id: int) -> Path:
    path = root() / str(int(event_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_key(event_id: int) -> str:
    return f"materials/{int(event_id)}/{secrets.token_hex(16)}.pdf"


def path_for(key: str | None, event_id: int) -> Path | None:
    """The file of ``key`` when it is a key the app makes, in ``event_id``'s folder."""
    match = KEY_RE.match(key or "")
    if match is None or match["event"] != str(int(event_id)):
        return None
    return root() / match["event"] / match["name"]


def write(session: OrmSession, key: str, data: bytes, event_id: int) -> Path:
    """Write ``data`` under ``key`` (atomically); deleted again if the transaction rolls back."""
    path = path_for(key, event_id)
    if path is None:
        raise ValueError(f"not a materials key of event {event_id}: {key!r}")
    folder = event_dir(event_id)
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    session.info.setdefault(_WRITTEN, []).append(path)
    return path


def unlink_after_commit(session: OrmSession, path: Path | None) -> None:
    if path is not None:
        session.info.setdefault(_UNLINK, []).append(path)


def _unlink(paths) -> None:
    for path in paths or ():
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:  # the sweep tries again
            current_app.logger.warning("could not delete %s", path, exc_info=True)


def install_hooks() -> None:
    """Follow the commits and rollbacks of ``db.session`` (once per process)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    from sqlalchemy import event as sa_event

    from ...extensions import db

    @sa_event.listens_for(db.session, "after_commit")
    def after_commit(session):
        if session.in_nested_transaction():
            return
        session.info.pop(_WRITTEN, None)  # kept: their rows are committed
        _unlink(session.info.pop(_UNLINK, None))

    @sa_event.listens_for(db.session, "after_transaction_end")
    def after_transaction_end(session, transaction):
        if transaction.parent is None and not transaction.nested:
            # not committed (after_commit has emptied the lists otherwise): files written for
            # rows that do not exist go; files of rows that still exist stay
            _unlink(session.info.pop(_WRITTEN, None))
            session.info.pop(_UNLINK, None)


def sweep_orphans(now: float | None = None) -> int:
    """Delete stored slides that no row names (older than ORPHAN_GRACE); returns how many."""
    from ...extensions import db
    from ...models import SessionMaterial

    base = root()
    if not base.is_dir():
        return 0
    known = set(
        db.session.scalars(
            select(SessionMaterial.storage_key).where(SessionMaterial.storage_key.is_not(None))
        )
    )
    db.session.rollback()
    limit = (now if now is not None else time.time()) - ORPHAN_GRACE.total_seconds()
    removed = 0
    for folder in base.iterdir():
        if not folder.is_dir() or folder.is_symlink() or not folder.name.isdigit():
            continue
        for path in folder.iterdir():
            if not path.is_file() or path.is_symlink():
                continue
            key = f"materials/{folder.name}/{path.name}"
            if key in known:
                continue
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
    return removed
