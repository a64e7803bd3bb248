"""Certificates: issue once, store, verify, revoke, re-issue, generate in bulk, send.

Who is eligible
- attendance: a confirmed registration that attended as the event's attendance policy asks
  (door, online joins, imported report, marked by hand; an optional minimum of sessions) and,
  when the feedback gate is on, answered the questionnaire (services/attendance_policy.py);
- speakers: people linked to the event's sessions, by default only those who confirmed in
  their portal (``SessionPerson.confirmation == "confirmed"``); the organiser may widen it
  to everyone linked. Their certificate is "participation" or "appreciation" (settings).

A certificate is issued once: its PDF is written to ``STORAGE_DIR/certificates/`` and every
download returns those bytes until an organiser re-issues it (new code, number and version;
the old one stays verifiable as superseded). Public identifiers are the verification code
(``secrets.token_urlsafe(16)``, 128 bits) and a random printed number; never the row id.

The package, by responsibility: ``base`` (rules, settings, eligibility, lookups), ``issue``
(issue once, revoke, re-issue, the event-time rule), ``render`` (template context, PDFs, layered
batches, storage), ``verify`` (codes and the public check), ``bulk`` (generate all, jobs,
email, ZIP) and ``signatories``. Everything stays importable from
``symposium.services.certificates``.
"""

from __future__ import annotations

from .base import (  # noqa: F401
    BATCH_SIZE,
    BILINGUAL_LANGUAGES,
    MIN_PARALLEL_BATCH,
    NUMBER_ALPHABET,
    PARALLEL_MIN,
    SPEAKER_KINDS,
    SPEAKER_SCOPES,
    TEMPLATE,
    CertificateError,
    CertificateSettings,
    NotEligible,
    TooEarly,
    certificates_for_person,
    current_for_person,
    current_for_registration,
    eligible_people,
    eligible_registrations,
    event_certificates,
    get_settings,
    person_eligible,
    registration_eligible,
    update_settings,
)
from .bulk import (  # noqa: F401
    _UNSAFE,
    GenerateResult,
    _archive_name,
    _csv_safe,
    _emailable,
    _fail,
    _job_user,
    _run_job,
    generate_all,
    has_file,
    holder_email,
    pending_holders,
    queue_certificate_email,
    run_email_job,
    run_generate_job,
    start_job,
    summary,
    write_zip,
)
from .issue import (  # noqa: F401
    _build,
    _holder_language,
    _lock_row,
    _person_names,
    ensure_started,
    issue_for_person,
    issue_for_registration,
    new_code,
    new_number,
    number_prefix,
    reissue,
    revoke,
)
from .render import (  # noqa: F401
    _HOLDER_BLOCK_FIELDS,
    _HOLDER_FIELDS,
    _block,
    _event_dates,
    _hijri_dates,
    _loc,
    _signatories,
    _statement,
    certificate_languages,
    document_context,
    document_title,
    download_name,
    hijri_date,
    kind_label,
    name_direction,
    pdf_bytes,
    prepare_batch,
    qr_data_uri,
    relative_pdf_path,
    render_certificate,
    render_certificates,
    store_pdf,
    variant_key,
)
from .signatories import (  # noqa: F401
    MAX_SIGNATURE_PIXELS,
    SIGNATURE_MAX_WIDTH,
    add_signatory,
    delete_signatory,
    save_signature_image,
    signatories,
)
from .verify import (  # noqa: F401
    find_by_code,
    successor,
    verify_url,
)

__all__ = [
    "TooEarly",
    "ensure_started",
    "BATCH_SIZE",
    "BILINGUAL_LANGUAGES",
    "CertificateError",
    "CertificateSettings",
    "GenerateResult",
    "MAX_SIGNATURE_PIXELS",
    "MIN_PARALLEL_BATCH",
    "NUMBER_ALPHABET",
    "NotEligible",
    "PARALLEL_MIN",
    "SIGNATURE_MAX_WIDTH",
    "SPEAKER_KINDS",
    "SPEAKER_SCOPES",
    "TEMPLATE",
    "add_signatory",
    "certificate_languages",
    "certificates_for_person",
    "current_for_person",
    "current_for_registration",
    "delete_signatory",
    "document_context",
    "document_title",
    "download_name",
    "eligible_people",
    "eligible_registrations",
    "event_certificates",
    "find_by_code",
    "generate_all",
    "get_settings",
    "has_file",
    "hijri_date",
    "holder_email",
    "issue_for_person",
    "issue_for_registration",
    "kind_label",
    "name_direction",
    "new_code",
    "new_number",
    "number_prefix",
    "pdf_bytes",
    "pending_holders",
    "person_eligible",
    "prepare_batch",
    "qr_data_uri",
    "queue_certificate_email",
    "registration_eligible",
    "reissue",
    "relative_pdf_path",
    "render_certificate",
    "render_certificates",
    "revoke",
    "run_email_job",
    "run_generate_job",
    "save_signature_image",
    "signatories",
    "start_job",
    "store_pdf",
    "successor",
    "summary",
    "update_settings",
    "variant_key",
    "verify_url",
    "write_zip",
]
