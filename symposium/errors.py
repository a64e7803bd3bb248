"""Translated error pages (HTML for pages, JSON for the API); a CSRF failure is a 400 page."""

from flask import Flask, jsonify, render_template, request
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


def register_error_handlers(app: Flask) -> None:
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
        app.logger.exception("Unhandled error")
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return render_error(500)
