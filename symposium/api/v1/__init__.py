"""REST API v1 under /api/v1/: JSON only, OpenAPI 3.1 made from the code (flask-smorest).

flask-smorest was chosen because it works on a plain Flask app and blueprints (the app keeps its
factory, extensions and error pages), describes requests and answers with marshmallow schemas that
also validate them, and writes an OpenAPI 3.1 document that openapi-spec-validator accepts.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_smorest import Api

from ...extensions import csrf, limiter
from . import agenda, certificates, problems, public, reference, registrations
from .auth import load_token
from .lang import choose_language

BLUEPRINTS = (public.blp, registrations.blp, agenda.blp, certificates.blp)


class SymposiumApi(Api):
    """flask-smorest without its app-wide JSON error handler: the app keeps its HTML error
    pages, and the API's errors are RFC 9457 problems (symposium/errors.py)."""

    ERROR_SCHEMA = problems.ProblemSchema

    def _register_error_handlers(self):
        return None


def rate_key() -> str:
    """Per token when one is given, else per address."""
    token = load_token()
    return f"token:{token.id}" if token is not None else f"ip:{request.remote_addr}"


for _blp in BLUEPRINTS:
    _blp.before_request(choose_language)
    limiter.limit(
        lambda: current_app.config.get("API_RATE_LIMIT", "120 per minute"), key_func=rate_key
    )(_blp)


def current_api() -> SymposiumApi:
    return current_app.extensions["symposium_api"]


def init_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "symposium")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = SymposiumApi(
        spec_kwargs={
            "info": {
                "description": (
                    "The symposium's programme, registrations and check-in. Public endpoints "
                    "need no token; the others take `Authorization: Bearer <token>` "
                    "(docs/api.md)."
                )
            },
            "servers": [{"url": "/"}],
            "extra_plugins": [problems.ProblemDocsPlugin()],
        }
    )
    api.init_app(app)
    app.extensions["symposium_api"] = api
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A personal API token."}
    )
    for blp in BLUEPRINTS:
        csrf.exempt(blp)
        api.register_blueprint(blp)
    problems.problem_components(api.spec)
    app.register_blueprint(reference.bp)
