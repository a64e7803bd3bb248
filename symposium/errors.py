"""Translated error pages (HTML for pages, JSON for the API); a CSRF failure is a 400 page.

Malformed requests are answered before any view runs, the same on every database: a NUL
character or invalid UTF-8 in the path is a 404, in the query string a 400. Form fields are
refused by their validators (services/textcheck.py) with a message next to the field; a NUL
that reaches PostgreSQL through a field nobody checked is a 400, never a 500.
"""

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to see this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        410: _("This link has expired."),
        413: _("The file you sent is too large."),
        429: _("Too many requests. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is temporarily unavailable."),
    }


def render_error(code: int, message: str | None = None, error: Exception | None = None):
    if request.path.startswith("/api/v1/"):
        from .api.v1.problems import from_http_exception, problem

        if isinstance(error, HTTPException):
            return from_http_exception(error)
        return problem(code, message)
    message = message or _messages().get(code) or _("An error occurred.")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": message, "status": code}), code
    return render_template("errors/error.html", code=code, message=message), code


def _bad_text(raw: bytes) -> bool:
    """NUL, or not UTF-8, once percent-escapes are decoded."""
    data = unquote_to_bytes(raw)
    if b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def refuse_malformed_request():
    """``before_request``: 404 for a bad path, 400 for a bad query string."""
    path = request.environ.get("PATH_INFO", "")
    if _bad_text(path.encode("latin-1", "replace")) or "\ufffd" in request.path:
        abort(404)  # (U+FFFD: what invalid UTF-8 became on the way in)
    query = request.environ.get("QUERY_STRING", "")
    if query and _bad_text(query.replace("+", " ").encode("latin-1", "replace")):
        abort(400)
    return None


def _nul_refused_by_database(error: BaseException | None) -> bool:
    """PostgreSQL refuses NUL in text (SQLite stores it): a form field that no validator
    checked. That is bad input (400), not our failure."""
    seen = 0
    while error is not None and seen < 5:
        if "NUL (0x00)" in str(error) or "cannot contain NUL" in str(error):
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
        seen += 1
    return False


def register_error_handlers(app: Flask) -> None:
    app.before_request(refuse_malformed_request)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _(
                "Your form has expired or was not sent from this site. Please reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code < 400:
            return error
        return render_error(error.code or 500, error=error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        if _nul_refused_by_database(error):
            return render_error(
                400, _("The form contains characters that are not allowed (such as NUL).")
            )
        app.logger.exception("Unhandled error")
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return render_error(500)
