"""Speaker photos in the interchange format: inline, base64, size-capped, re-encoded.

A document never names a file of the storage (the old ``photo_path`` is refused unless null):
the photo itself travels in ``speakers[i].photo`` and the import stores it under a name the
application makes, in the folder of the event (``services.speakers``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from flask_babel import gettext as _

from .. import speakers

# The decoded photo in a document, at most (the app's own photos are at most 800 px)
MAX_INLINE_PHOTO_BYTES = 1024 * 1024
MISSING = object()  # the key is absent: an update keeps the stored photo


@dataclass(frozen=True)
class InlinePhoto:
    raw: bytes  # as given in the document (to tell whether it changed)
    data: bytes  # re-encoded by Pillow
    ext: str


def read_photo(c, item: dict, path: str):
    """``MISSING``, None (no photo) or an ``InlinePhoto``; problems go to the checker ``c``."""
    if "photo" not in item:
        return MISSING
    value = item["photo"]
    if value is None:
        return None
    where = f"{path}.photo"
    if not isinstance(value, str):
        c.add(where, _("must be a base64 text or null"))
        return None
    if len(value) > (MAX_INLINE_PHOTO_BYTES * 4) // 3 + 4:
        c.add(where, _("the photo is larger than %(num)d KB", num=MAX_INLINE_PHOTO_BYTES // 1024))
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        c.add(where, _("not valid base64"))
        return None
    try:
        data, ext = speakers.process_photo(raw)
    except speakers.SpeakerError as exc:
        c.add(where, "; ".join(exc.messages))
        return None
    return InlinePhoto(raw=raw, data=data, ext=ext)


def export_photo(person) -> str | None:
    """The stored photo of ``person`` as base64 (None when there is none)."""
    path = speakers.photo_file(person)
    if path is None:
        return None
    return base64.b64encode(path.read_bytes()).decode("ascii")


def apply_photo(session, person, photo, w) -> None:
    """Store (or remove) the photo of ``person`` from the document; ``w`` records a change."""
    if photo is MISSING:
        return
    if photo is None:
        if person.photo_path:
            speakers.remove_photo(person)
            w.changed = True
        return
    current = speakers.photo_file(person)
    if current is not None and current.read_bytes() in (photo.raw, photo.data):
        return  # the same photo: nothing to do
    speakers.store_photo(person, photo.data, photo.ext)
    w.changed = True
