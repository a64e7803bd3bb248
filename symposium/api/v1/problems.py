"""RFC 9457 problem details for every error of the API: translated, with field paths, no traces."""

from __future__ import annotations

import marshmallow as ma
from apispec import BasePlugin
from flask import Response, g, json
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .lang import choose_language

PROBLEM_TYPE = "application/problem+json"


class ProblemError(ma.Schema):
    path = ma.fields.String(required=True, metadata={"example": "sessions[2]"})
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """Documents the error body (RFC 9457)."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(ProblemError))


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("A valid API token is needed."),
        403: _("This token may not do this."),
        404: _("Not found."),
        405: _("This action is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("The request is too large."),
        415: _("Send JSON (Content-Type: application/json)."),
        422: _("Some values are not valid."),
        429: _("Too many requests. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is temporarily unavailable."),
    }


def _field_messages() -> dict[str, str]:
    """marshmallow's and webargs's fixed English messages, translated."""
    return {
        "Missing data for required field.": _("This field is required."),
        "Field may not be null.": _("This field may not be empty."),
        "Not a valid string.": _("Enter text."),
        "Not a valid integer.": _("Enter a whole number."),
        "Not a valid boolean.": _("Enter true or false."),
        "Not a valid email address.": _("Enter a valid email address."),
        "Not a valid list.": _("Enter a list."),
        "Not a valid mapping type.": _("Enter an object."),
        "Unknown field.": _("This field is not known."),
        "Invalid input type.": _("Send a JSON object."),
        "Invalid value.": _("This value is not valid."),
        "Number too large.": _("This number is too large."),
        "Not a valid datetime.": _("Enter a date and time (ISO 8601)."),
        "Not a valid date.": _("Enter a date (YYYY-MM-DD)."),
        "Invalid JSON body.": _("The body is not valid JSON."),
    }


def _path(parts: list) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def flatten(messages, parts: list | None = None) -> list[dict]:
    """marshmallow's nested messages -> [{"path": "sessions[2].starts_at", "message": ...}]."""
    parts = parts or []
    if isinstance(messages, dict):
        return [e for key, value in messages.items() for e in flatten(value, [*parts, key])]
    if isinstance(messages, list | tuple):
        return [e for m in messages for e in flatten(m, parts)]
    known = _field_messages()
    return [{"path": _path(parts), "message": known.get(str(messages), str(messages))}]


LOCATIONS = ("json", "query", "headers", "form", "files", "path")


def flatten_webargs(messages) -> list[dict]:
    """webargs groups messages by location first ("json", "query"): not part of the path."""
    if isinstance(messages, dict) and set(messages) <= set(LOCATIONS):
        return [e for value in messages.values() for e in flatten(value)]
    return flatten(messages)


def refuse(messages: str | list[str], status: int = 409, *, path: str = "") -> None:
    """Abort with a problem listing a service's translated refusals (one or several)."""
    from flask_smorest import abort

    messages = [messages] if isinstance(messages, str) else list(messages)
    abort(status, message=messages[0], errors=[{"path": path, "message": m} for m in messages])


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict] | None = None,
    headers: dict | None = None,
) -> Response:
    if "api_lang" not in g:  # an error before the API's own hooks ran (an unknown path)
        choose_language()
    title = _titles().get(status) or _("An error occurred.")
    body: dict = {"type": "about:blank", "title": title, "status": status}
    if detail and detail != title:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    """An ``abort(...)`` of the API (with webargs' ``data``) or any HTTP error, as a problem."""
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors")
    if errors is None and "messages" in data:
        errors = flatten_webargs(data["messages"])
    detail = data.get("message")
    headers = dict(data.get("headers") or {})
    if code == 429:
        headers.setdefault("Retry-After", "60")
    if code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(code, detail, errors=errors, headers=headers)


# ------------------------------------------------------------------------- in the OpenAPI document

PROBLEM_CONTENT = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


class ProblemDocsPlugin(BasePlugin):
    """Documents every error answer as ``application/problem+json``, with the codes each kind of
    operation can give (401/403 with a token, 404 with a path parameter, 429 everywhere)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            codes = ["400", "422", "429"]
            if operation.get("security"):
                codes += ["401", "403"]
            if "{" in (path or ""):
                codes.append("404")
            present = {str(code) for code in responses}
            for code in codes:
                if code not in present:
                    responses[code] = {"description": HTTP_STATUS_CODES[int(code)]}
            for code, response in responses.items():
                code = str(code)
                is_error = code == "default" or code >= "400"
                if is_error and isinstance(response, dict) and "$ref" not in response:
                    response["content"] = PROBLEM_CONTENT


def problem_components(spec) -> None:
    """The shared error answers (flask-smorest's) in ``application/problem+json`` too."""
    for response in spec.components.responses.values():
        content = response.get("content") or {}
        if "application/json" in content:
            response["content"] = {PROBLEM_TYPE: content.pop("application/json")}
