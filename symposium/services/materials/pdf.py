"""Slides as PDF: checked, then re-written without anything that can run or carry a file.

``sanitize(raw)`` takes the bytes of an upload and returns the bytes to store. It refuses what
is not a PDF (the file must start with ``%PDF-`` and qpdf must open it), an encrypted PDF
that needs a password, and a document of more than ``MAX_PAGES`` pages or ``MAX_OBJECTS``
objects. Then every object reachable from the trailer is walked once (an explicit stack, no
recursion) and these are removed:

- document, page, annotation and form-field triggers: ``/OpenAction``, ``/AA``;
- the name trees ``/JavaScript`` and ``/EmbeddedFiles``, embedded file streams (``/EF``),
  associated files (``/AF``), portfolios (``/Collection``), XFA forms (``/XFA``);
- actions other than go-to (``/GoTo``), named (``/Named``, e.g. next page) and web links
  (``/URI`` with an http, https or mailto address), wherever they hang (``/A``, ``/PA``,
  ``/Next``): JavaScript, Launch, SubmitForm, ImportData, GoToR, GoToE, Rendition, ...;
  the blacklisted ones (``DANGEROUS_ACTIONS``) also wherever else they appear;
- annotations that carry a file or play media: FileAttachment, Sound, Movie, Screen,
  RichMedia, 3D.

Only the objects still referenced are written (qpdf drops the rest), without object streams,
so no dictionary hides in a compressed stream; compressed content is copied as it is (never
decompressed: no decompression bomb). The output is opened again and scanned
(``threats``) before it is accepted.
"""

from __future__ import annotations

import io
import logging
from urllib.parse import urlsplit

import pikepdf
from flask_babel import gettext as _
from pikepdf import Array, Dictionary, Name, Stream

MAX_PAGES = 2000
MAX_OBJECTS = 500_000

ACTION_KEYS = frozenset({"/A", "/PA", "/Next", "/OpenAction"})
DROP_KEYS = frozenset(
    {"/AA", "/OpenAction", "/JavaScript", "/JS", "/EmbeddedFiles", "/EF", "/AF", "/XFA"}
)
DROP_KEYS_ON_ROOT = frozenset({"/Collection", "/NeedsRendering"})
SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
DANGEROUS_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/ResetForm",
        "/GoToR",
        "/GoToE",
        "/Rendition",
        "/Sound",
        "/Movie",
        "/Hide",
        "/RichMediaExecute",
        "/GoTo3DView",
    }
)
DANGEROUS_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
)
SAFE_URI_SCHEMES = frozenset({"http", "https", "mailto"})

log = logging.getLogger(__name__)


class PdfRefused(ValueError):
    """The upload is not a PDF we can store; ``message`` is translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _name(obj, key: str) -> str | None:
    value = obj.get(key)
    return str(value) if isinstance(value, Name) else None


def _safe_uri(action) -> bool:
    value = action.get("/URI")
    if value is None:
        return False
    try:
        text = str(value).strip()
    except (TypeError, ValueError, UnicodeError):
        return False
    scheme = urlsplit(text).scheme.lower() if text else ""
    return scheme in SAFE_URI_SCHEMES


def _is_dict(obj) -> bool:
    return isinstance(obj, Dictionary | Stream)


def _is_action(obj, in_action_place: bool) -> bool:
    """An action dictionary: typed so, or with an /S where actions hang. Structure attributes
    (/A of a tagged element: /O, no /S) and outline siblings (/Next of an item) are not."""
    if not _is_dict(obj):
        return False
    return _name(obj, "/Type") == "/Action" or (in_action_place and "/S" in obj)


def _child_in_action_place(parent, parent_is_action: bool, key: str) -> bool:
    if key == "/Next":
        return parent_is_action  # an action's next actions (an outline item's /Next is not)
    return key in ACTION_KEYS


def _bad(obj, *, in_action_place: bool) -> str | None:
    """Why ``obj`` must go (a short reason, for the log and the tests), or None."""
    if not _is_dict(obj):
        return None
    kind = _name(obj, "/S")
    if kind in DANGEROUS_ACTIONS:
        return f"action {kind}"
    if _is_action(obj, in_action_place):
        if kind not in SAFE_ACTIONS:
            return f"action {kind}"
        if kind == "/URI" and not _safe_uri(obj):
            return "action /URI with an unsafe address"
    subtype = _name(obj, "/Subtype")
    if subtype in DANGEROUS_ANNOTATIONS:
        return f"annotation {subtype}"
    if _name(obj, "/Type") == "/EmbeddedFile":
        return "embedded file"
    return None


def _children(obj, flag: bool):
    """(key or index, child, whether the child sits where actions hang) of a container;
    ``flag`` says the same of ``obj`` itself."""
    if isinstance(obj, Array):
        return [(i, obj[i], flag) for i in range(len(obj))]
    is_action = _is_action(obj, flag)
    return [
        (key, obj.get(key), _child_in_action_place(obj, is_action, key)) for key in list(obj.keys())
    ]


def _containers(pdf: pikepdf.Pdf):
    """Every dictionary, stream and array reachable from the trailer, once, as (object,
    whether it sits where actions hang): the caller may edit each before its children come."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[object, bool]] = [(pdf.trailer, False)]
    while stack:
        obj, flag = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        yield obj, flag
        for _key, child, child_flag in _children(obj, flag):
            if isinstance(child, Array | Dictionary | Stream):
                stack.append((child, child_flag))


def _problems(obj, flag: bool) -> list[tuple[object, str]]:
    """(key or index, reason) of what must go from the container ``obj``, last index first."""
    found = []
    for key, child, child_flag in reversed(_children(obj, flag)):
        if isinstance(key, str) and key in DROP_KEYS:
            found.append((key, key))
            continue
        reason = _bad(child, in_action_place=child_flag)
        if reason:
            found.append((key, reason))
    return found


def clean(pdf: pikepdf.Pdf) -> list[str]:
    """Remove scripts, triggers, embedded files and unsafe actions from ``pdf`` in place;
    returns what was removed (short reasons)."""
    removed: list[str] = []
    root = pdf.Root
    for key in DROP_KEYS_ON_ROOT:
        if key in root:
            removed.append(key)
            del root[key]
    for obj, flag in _containers(pdf):
        for key, reason in _problems(obj, flag):
            removed.append(reason)
            del obj[key]
    return removed


def threats(pdf: pikepdf.Pdf) -> list[str]:
    """What ``clean`` would remove from ``pdf`` (nothing, for a sanitised file)."""
    found = [key for key in DROP_KEYS_ON_ROOT if key in pdf.Root]
    for obj, flag in _containers(pdf):
        found.extend(reason for _key, reason in _problems(obj, flag))
    return found


def _open(raw: bytes) -> pikepdf.Pdf:
    if not raw.startswith(b"%PDF-"):
        raise PdfRefused(_("The file is not a PDF document. Please choose a PDF file."))
    try:
        return pikepdf.open(io.BytesIO(raw))
    except pikepdf.PasswordError:
        raise PdfRefused(
            _("The PDF is protected by a password. Please upload it without the protection.")
        )
    except (pikepdf.PdfError, ValueError, RuntimeError, OSError):
        raise PdfRefused(_("The PDF could not be read. Please export it again and retry."))


def sanitize(raw: bytes) -> tuple[bytes, list[str]]:
    """The bytes to store for the uploaded PDF ``raw`` and what was removed from it.

    Raises PdfRefused (translated) for a file that is not a PDF, cannot be read, needs a
    password or is too large a document.
    """
    with _open(raw) as pdf:
        try:
            too_big = len(pdf.pages) > MAX_PAGES or len(pdf.objects) > MAX_OBJECTS
        except (pikepdf.PdfError, ValueError, RuntimeError):
            raise PdfRefused(_("The PDF could not be read. Please export it again and retry."))
        if too_big:
            raise PdfRefused(
                _(
                    "The PDF is too large a document: at most %(num)d pages.",
                    num=MAX_PAGES,
                )
            )
        out = io.BytesIO()
        try:
            removed = clean(pdf)
            pdf.save(
                out,
                object_stream_mode=pikepdf.ObjectStreamMode.disable,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                fix_metadata_version=False,
                deterministic_id=True,
            )
        except (pikepdf.PdfError, ValueError, RuntimeError, KeyError, TypeError):
            log.warning("a PDF could not be sanitised", exc_info=True)
            raise PdfRefused(_("The PDF could not be read. Please export it again and retry."))
    data = out.getvalue()
    try:
        with pikepdf.open(io.BytesIO(data)) as check:
            left = threats(check)
    except (pikepdf.PdfError, ValueError, RuntimeError):
        left = ["unreadable output"]
    if left:
        log.warning("a sanitised PDF still had %s; refused", ", ".join(sorted(set(left))))
        raise PdfRefused(_("The PDF could not be read. Please export it again and retry."))
    return data, removed
