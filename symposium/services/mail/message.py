"""Building messages: ``build_message`` (an ``EmailMessage``) and ``build_raw`` (the same
message written directly as CRLF bytes, for the bulk of registration emails).

Every message gets its Message-ID here, once: the outbox stores it with the message, so every
delivery attempt sends the same one and a receiver can drop a duplicate.
"""

from __future__ import annotations

import binascii
import email.policy
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app

from ...models.types import utcnow


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"
    # Content-Type parameters, e.g. (("charset", "utf-8"), ("method", "PUBLISH")). A text
    # attachment that has them is sent as its exact bytes (a calendar's lines end with CRLF).
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RawEmail:
    """A complete message (CRLF line ends, 7-bit clean) ready for the outbox."""

    recipient: str
    subject: str
    raw: bytes
    message_id: str | None = None


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds a line break, a NUL or another control character (nothing a
    one-line header such as a subject may contain)."""
    return any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value)


def clean_header_text(value: str) -> str:
    """``value`` on one line: control characters become spaces, runs of spaces one space."""
    if has_control_characters(value):
        value = "".join(
            " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in value
        )
    return " ".join(value.split())


def message_domain() -> str:
    """The domain of the Message-IDs: MAIL_DEFAULT_SENDER's, else SYMPOSIUM_BASE_URL's."""
    sender = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    domain = sender.rpartition("@")[2].strip().lower()
    if not domain or domain == "localhost":
        host = urlsplit(current_app.config.get("SYMPOSIUM_BASE_URL") or "").hostname
        domain = host or domain or "localhost"
    return domain


def new_message_id() -> str:
    return make_msgid(domain=message_domain())


def date_header() -> str:
    """Now, as an RFC 5322 date in UTC: ``…  +0000`` (not ``-0000``, "zone unknown")."""
    return format_datetime(utcnow())


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    sender: str | None = None,
    reply_to: str | None = None,
    lang: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """An ``EmailMessage``; ``headers`` adds more (e.g. List-Unsubscribe)."""
    msg = EmailMessage()
    msg["Subject"] = clean_header_text(subject)  # non-ASCII: RFC 2047 encoded by the policy
    msg["From"] = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = date_header()
    msg["Message-ID"] = new_message_id()
    for name, value in (headers or {}).items():
        msg[name] = clean_header_text(value)
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for att in attachments:
        if att.maintype == "text" and not att.params:
            msg.add_attachment(
                att.content.decode("utf-8"), subtype=att.subtype, filename=att.filename
            )
        else:
            msg.add_attachment(
                att.content,
                maintype=att.maintype,
                subtype=att.subtype,
                filename=att.filename,
                params=dict(att.params) or None,
            )
    if lang:
        # Set last: turning the message multipart moves earlier content headers into a part
        msg["Content-Language"] = lang
    return msg


# ----------------------------------------------------------------------- fast raw MIME builder

# Header values the fast builder writes as they are (plain ASCII addresses, file names)
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{3,254}")
_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_CRLF = "\r\n"


@lru_cache(maxsize=16)
def _from_header(sender: str) -> str:
    name, addr = parseaddr(sender)
    return formataddr((name, addr), charset="utf-8") if addr else sender


def _subject_header(subject: str) -> str:
    if subject.isascii() and len(subject) <= 66:
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep=_CRLF)


def _bytes_part(att: Attachment, extra_headers: str) -> str:
    """An attachment as its exact bytes (base64), with its Content-Type parameters."""
    params = "".join(f'; {key}="{value}"' for key, value in att.params)
    head = f"Content-Type: {att.maintype}/{att.subtype}{params}{_CRLF}"
    body = "".join(
        binascii.b2a_base64(att.content[i : i + 57]).decode("ascii")[:-1] + _CRLF
        for i in range(0, len(att.content), 57)
    )
    return f"{head}Content-Transfer-Encoding: base64{_CRLF}{extra_headers}{_CRLF}{body}"


def _text_part(content: str, subtype: str, extra_headers: str = "") -> str:
    """A text/* part: 7bit when the text is plain ASCII with short lines, else base64."""
    text = "\n".join(content.splitlines()) + "\n"
    head = f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}'
    if text.isascii() and all(len(line) <= 998 for line in text.split("\n")):
        body = text.replace("\n", _CRLF)
        cte = "7bit"
    else:
        data = text.encode("utf-8")
        # 57 bytes per 76-character base64 line (RFC 2045)
        body = "".join(
            binascii.b2a_base64(data[i : i + 57]).decode("ascii")[:-1] + _CRLF
            for i in range(0, len(data), 57)
        )
        cte = "base64"
    return f"{head}Content-Transfer-Encoding: {cte}{_CRLF}{extra_headers}{_CRLF}{body}"


def _multipart(subtype: str, parts: list[str]) -> str:
    while True:
        boundary = f"=============={secrets.randbits(64):020d}=="
        if not any(boundary in part for part in parts):
            break
    body = "".join(f"--{boundary}{_CRLF}{part}{_CRLF}" for part in parts)
    return (
        f'Content-Type: multipart/{subtype};{_CRLF} boundary="{boundary}"{_CRLF}{_CRLF}'
        f"{body}--{boundary}--{_CRLF}"
    )


def build_raw(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    lang: str | None = None,
) -> RawEmail:
    """The same message as ``build_message`` (text, HTML alternative, text attachments),
    written directly as CRLF bytes: about ten times cheaper than building and serialising
    an ``EmailMessage``. Anything unusual (a non-ASCII address, a binary attachment, an
    unusual file name) goes through ``build_message`` instead."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    subject = clean_header_text(subject)  # no line break (nor NUL) in a header
    simple = (
        _PLAIN_ADDRESS.fullmatch(to) is not None
        and sender.isascii()
        and not has_control_characters(sender)
        and (lang is None or re.fullmatch(r"[A-Za-z-]{1,20}", lang) is not None)
        and all(
            att.maintype == "text" and _PLAIN_FILENAME.fullmatch(att.filename)
            for att in attachments
        )
    )
    if not simple:
        message = build_message(
            to=to, subject=subject, text=text, html=html, attachments=attachments, lang=lang
        )
        raw = message.as_bytes(policy=email.policy.SMTP)
        return RawEmail(str(message["To"]), subject, raw, str(message["Message-ID"]))
    body = _text_part(text, "plain")
    if html:
        body = _multipart("alternative", [body, _text_part(html, "html")])
    if attachments:
        parts = [body]
        for att in attachments:
            disposition = f'Content-Disposition: attachment; filename="{att.filename}"{_CRLF}'
            if att.params:
                parts.append(_bytes_part(att, disposition))
            else:
                parts.append(_text_part(att.content.decode("utf-8"), att.subtype, disposition))
        body = _multipart("mixed", parts)
    message_id = new_message_id()
    # ``body`` starts with its own Content-Type (and transfer encoding) header lines
    headers = [
        f"Subject: {_subject_header(subject)}",
        f"From: {_from_header(sender)}",
        f"To: {to}",
        f"Date: {date_header()}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
    ]
    if lang:
        headers.append(f"Content-Language: {lang}")
    raw = _CRLF.join(headers) + _CRLF + body
    return RawEmail(to, subject, raw.encode("ascii"), message_id)
