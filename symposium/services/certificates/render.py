"""Rendering certificates: the template context, one PDF, layered bulk batches, storage."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ... import pdf
from ...i18n import fmt_date, language, text_direction, utc_to_local
from ...models import (
    Certificate,
    Event,
    Signatory,
)
from .base import BILINGUAL_LANGUAGES, TEMPLATE
from .verify import verify_url


def qr_data_uri(data: str) -> str:
    """A vector QR code (SVG) as a data URL the PDF fetcher accepts."""
    return segno.make(data, error="m").svg_data_uri(scale=1, border=0, dark="#111")


def hijri_date(day: date) -> str:
    """A date in the Umm al-Qura calendar, in Arabic: "7 شعبان 1447 هـ"."""
    from hijridate import Gregorian

    h = Gregorian(day.year, day.month, day.day).to_hijri()
    return f"{h.day} {h.month_name('ar')} {h.year} {h.notation('ar')}"


def _event_dates(event: Event, lang: str) -> str:
    if event.ends_on and event.ends_on != event.starts_on:
        return _("from %(start)s to %(end)s") % {
            "start": fmt_date(event.starts_on, lang, "long"),
            "end": fmt_date(event.ends_on, lang, "long"),
        }
    return _("on %(date)s") % {"date": fmt_date(event.starts_on, lang, "long")}


def _hijri_dates(event: Event) -> str:
    if event.ends_on and event.ends_on != event.starts_on:
        return _("corresponding to %(start)s – %(end)s") % {
            "start": hijri_date(event.starts_on),
            "end": hijri_date(event.ends_on),
        }
    return _("corresponding to %(date)s") % {"date": hijri_date(event.starts_on)}


def kind_label(kind: str) -> str:
    labels = {
        "attendance": _("Certificate of Attendance"),
        "participation": _("Certificate of Participation"),
        "appreciation": _("Certificate of Appreciation"),
    }
    return labels.get(kind, kind)


def _statement(kind: str) -> str:
    return {
        "attendance": _("for attending"),
        "participation": _("for taking part as a speaker in"),
        "appreciation": _("in appreciation of the valuable contribution to"),
    }[kind]


def _block(certificate: Certificate, lang: str) -> dict:
    """Every text of the certificate in one language (rendered in that language's locale)."""
    event = certificate.event
    names = (certificate.details or {}).get("names") or {}
    name = certificate.holder_name if lang == certificate.language else names.get(lang)
    with language(lang):
        issued_local = utc_to_local(certificate.issued_at, event.timezone).date()
        block = {
            "lang": lang,
            "dir": text_direction(lang),
            "heading": kind_label(certificate.kind),
            "awarded_to": _("This certificate is awarded to"),
            "name": name or certificate.holder_name,
            "statement": _statement(certificate.kind),
            "event_title": event.t("title", lang),
            "dates": _event_dates(event, lang),
            "hijri": _hijri_dates(event) if lang == "ar" else "",
            "venue": event.t("venue_name", lang),
            "organisers": event.t("organisers", lang),
            "number_label": _("Certificate number"),
            "issued": _("Issued on %(date)s") % {"date": fmt_date(issued_local, lang, "long")},
            "verify_label": _("Verify this certificate"),
        }
    return block


def _signatories(event: Event, langs: list[str]) -> list[dict]:
    from ...extensions import db

    if event.id is None:  # a transient event (the start-up warm-up): no signatories
        return []
    rows = db.session.scalars(
        select(Signatory)
        .where(Signatory.event_id == event.id)
        .order_by(Signatory.position, Signatory.id)
    ).all()
    out = []
    for row in rows:
        image = None
        if row.signature_path:
            path = Path(current_app.config["STORAGE_DIR"], row.signature_path)
            if path.is_file():
                from weasyprint.urls import path2url

                image = path2url(str(path.resolve()))
        out.append(
            {
                "names": [
                    (lang, text_direction(lang), _loc(row.name, lang, event)) for lang in langs
                ],
                "titles": [
                    (lang, text_direction(lang), _loc(row.title, lang, event)) for lang in langs
                ],
                "image": image,
            }
        )
    return out


def _loc(value: dict, lang: str, event: Event) -> str:
    from ...i18n import localize

    return localize(value, lang, event.default_language)


def certificate_languages(certificate: Certificate) -> list[str]:
    if certificate.bilingual:
        return list(BILINGUAL_LANGUAGES)
    return [certificate.language]


def document_context(certificate: Certificate) -> dict:
    """Everything the certificate template needs, for one certificate."""
    langs = certificate_languages(certificate)
    blocks = [_block(certificate, lang) for lang in langs]
    names = []
    for block in blocks:
        if block["name"] not in names:
            names.append(block["name"])
    url = verify_url(certificate)
    return {
        "kind": certificate.kind,
        "bilingual": certificate.bilingual,
        "lang": certificate.language,
        "dir": text_direction(certificate.language),
        "blocks": blocks,
        "names": [(n, name_direction(n)) for n in names],
        "number": certificate.number,
        "verify_url": url,
        "qr": None,  # drawn as vector shapes into the "qr-<i>" box after layout (pdf/qr.py)
        "signatories": _signatories(certificate.event, langs),
    }


def name_direction(text: str) -> str:
    """rtl when the first strong character is right-to-left (Arabic names)."""
    for ch in text or "":
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"


def document_title(certificate: Certificate) -> str:
    with language(certificate.language):
        return f"{kind_label(certificate.kind)} — {certificate.holder_name}"


def render_certificate(certificate: Certificate) -> bytes:
    """One standalone certificate PDF (same input -> same bytes).

    Rendered as a layered batch of one: only the holder's names layer is laid out; the
    background of its variant is kept per process (symposium/pdf/backgrounds.py). Should
    the layers not stack exactly, the certificate is laid out whole."""
    try:
        return pdf.engine.run_job(prepare_batch([certificate], whole=False))[0]
    except pdf.engine.LayerMismatch:
        contexts = [document_context(certificate)]
        return pdf.engine.run_job(pdf.prepare_many(TEMPLATE, contexts, **_common([certificate])))[0]


# Context fields that differ between holders of the same variant: they are laid out in the
# "names" layer; everything else is the variant's shared background (see pdf/engine.py).
_HOLDER_FIELDS = frozenset({"names", "number", "verify_url", "qr"})
_HOLDER_BLOCK_FIELDS = frozenset({"name", "issued"})


def variant_key(context: dict) -> str:
    """What a certificate shares with others of its variant (event texts, kind, language,
    signatories): certificates with equal keys can share one background."""
    fixed = {k: v for k, v in context.items() if k not in _HOLDER_FIELDS}
    fixed["blocks"] = [
        {k: v for k, v in block.items() if k not in _HOLDER_BLOCK_FIELDS}
        for block in context["blocks"]
    ]
    return json.dumps(fixed, sort_keys=True, ensure_ascii=False, default=str)


def _common(certificates: list[Certificate]) -> dict:
    return {
        "lang": certificates[0].language,
        "title": document_title(certificates[0]),
        "langs": [c.language for c in certificates],
        "titles": [document_title(c) for c in certificates],
        "created": [c.issued_at for c in certificates],
        "qr": [verify_url(c) for c in certificates],
        "archival": True,
    }


def prepare_batch(certificates: list[Certificate], *, whole: bool = True) -> pdf.Layered:
    """The render job for ``certificates``: per-holder names layers over shared backgrounds
    (and, with ``whole``, the same batch laid out whole: the fallback). Needs the app
    context; rendering it (``pdf.render_batches`` / ``pdf.engine.run_job``) does not."""
    contexts = [document_context(c) for c in certificates]
    common = _common(certificates)
    fallback = pdf.prepare_many(TEMPLATE, contexts, **common) if whole else None
    index: dict[str, int] = {}
    representatives: list[dict] = []
    variant_of: list[int] = []
    for context in contexts:
        key = variant_key(context)
        if key not in index:
            index[key] = len(representatives)
            representatives.append(context)
        variant_of.append(index[key])
    names = pdf.prepare_many(
        TEMPLATE,
        [
            {**context, "layer": "names", "slot_offset": f"@@OFFSET{variant}@@"}
            for context, variant in zip(contexts, variant_of, strict=True)
        ],
        **common,
    )
    background_html = pdf.render_html(
        TEMPLATE,
        {
            "documents": [
                {**context, "layer": "background", "index": "@@I@@", "slot_height": "@@HEIGHT@@"}
                for context in representatives
            ]
        },
        lang=common["lang"],
        # the same for every holder and request (kept across batches, pdf/backgrounds.py);
        # never shown: only the background's page is drawn, not its metadata
        title="background",
    )
    return pdf.Layered(
        names=names,
        background_html=background_html,
        variant_of=tuple(variant_of),
        whole=fallback,
    )


def render_certificates(certificates: list[Certificate]) -> list[bytes]:
    """Many standalone certificate PDFs from one batch (in this process)."""
    if not certificates:
        return []
    return pdf.engine.run_job(prepare_batch(certificates))


def relative_pdf_path(certificate: Certificate) -> str:
    return f"certificates/{certificate.event_id}/{certificate.code}.pdf"


def store_pdf(certificate: Certificate, data: bytes) -> None:
    rel = relative_pdf_path(certificate)
    pdf.write_atomic(Path(current_app.config["STORAGE_DIR"], rel), data)
    certificate.pdf_path = rel


def pdf_bytes(certificate: Certificate) -> bytes:
    """The stored PDF; rendered again (and stored) only if the file has gone missing."""
    if certificate.pdf_path:
        path = Path(current_app.config["STORAGE_DIR"], certificate.pdf_path).resolve()
        root = Path(current_app.config["STORAGE_DIR"]).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path.read_bytes()
    data = render_certificate(certificate)
    store_pdf(certificate, data)
    return data


def download_name(certificate: Certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


# --------------------------------------------------------------------------- bulk
