"""A reference page of the API, made from its OpenAPI document and served by the app itself."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_babel import refresh

from ...i18n import LANGUAGES, text_direction

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict) -> list[dict]:
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or [""])[0],
                    "secured": bool(op.get("security")),
                    "parameters": [*item.get("parameters", []), *op.get("parameters", [])],
                    "body": _schema_name(
                        op.get("requestBody", {}).get("content", {}).get("application/json", {})
                    ),
                    "responses": [
                        (code, resp.get("description", ""), _first_schema(resp))
                        for code, resp in (
                            (code, _resolve(spec, resp))
                            for code, resp in op.get("responses", {}).items()
                        )
                    ],
                }
            )
    return out


def _resolve(spec: dict, response: dict) -> dict:
    """A shared answer (``$ref`` to components/responses) as the answer it stands for."""
    ref = response.get("$ref", "")
    if ref.startswith("#/components/responses/"):
        return spec.get("components", {}).get("responses", {}).get(ref.rsplit("/", 1)[-1], {})
    return response


def _schema_name(media: dict) -> str:
    ref = (media.get("schema") or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1]


def _first_schema(response: dict) -> str:
    for media in (response.get("content") or {}).values():
        name = _schema_name(media)
        if name:
            return name
        items = (media.get("schema") or {}).get("items", {})
        if "$ref" in items:
            return items["$ref"].rsplit("/", 1)[-1] + "[]"
    return ""


@bp.get("/reference")
def reference():
    """Every operation, its parameters and its answers, in the reader's language."""
    from . import current_api

    lang = request.accept_languages.best_match(LANGUAGES) or "en"
    g.lang = lang
    refresh()
    spec = current_api().spec.to_dict()
    return render_template(
        "api/reference.html",
        spec=spec,
        operations=_operations(spec),
        schemas=spec.get("components", {}).get("schemas", {}),
        lang=lang,
        dir=text_direction(lang),
    )
