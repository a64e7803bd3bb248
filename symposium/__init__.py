"""symposium: run an international symposium end to end, in Arabic, English and French."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, jsonify, redirect, request, url_for
from sqlalchemy import text

from .config import Config, TestingConfig, normalise_database_url
from .extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: dict | type | None = None) -> Flask:
    """Build the application: a list of configuration steps."""
    app = Flask(__name__, instance_relative_config=True)
    configure_settings(app, config)
    configure_extensions(app)
    configure_i18n(app)
    configure_blueprints(app)
    configure_errors(app)
    configure_health(app)
    configure_cli(app)
    configure_security_headers(app)
    return app


def configure_settings(app: Flask, config: dict | type | None) -> None:
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        base = TestingConfig if (config or {}).get("TESTING") else Config
        app.config.from_object(base)
        if config:
            app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_file = Path(app.instance_path) / "symposium.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite: wait for the writer lock instead of failing at once
        opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        opts.setdefault("connect_args", {"timeout": 30})
        opts.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
    storage = app.config.get("STORAGE_DIR") or os.path.join(app.instance_path, "storage")
    app.config["STORAGE_DIR"] = storage
    Path(storage).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        if app.debug or app.testing or os.environ.get("FLASK_DEBUG") in {"1", "true"}:
            app.config["SECRET_KEY"] = "development-only-secret"  # noqa: S105
        else:
            raise RuntimeError(
                "SECRET_KEY is not set. Set it in the environment, e.g. "
                "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )


def configure_extensions(app: Flask) -> None:
    from . import models  # noqa: F401 - register the tables
    from .sqlite import configure_sqlite

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    from . import job_gate
    from .services import feedback, mail, materials, reminders, retention, webhooks

    job_gate.init_app(app)
    mail.init_app(app)
    webhooks.init_app(app)
    retention.init_app(app)
    reminders.init_app(app)
    materials.init_app(app)
    feedback.init_app(app)


def configure_i18n(app: Flask) -> None:
    from . import i18n

    translations = Path(app.root_path).parent / "translations"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    babel.init_app(app, locale_selector=i18n.current_language)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    from .templating import register_template_helpers

    register_template_helpers(app)


def configure_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .manage import bp as manage_bp
    from .public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(api_bp)
    from .api.v1 import init_api

    init_api(app)

    @app.get("/")
    def root():
        from .i18n import best_language

        return redirect(url_for("public.index", lang=best_language(request.accept_languages)))

    @app.get("/favicon.ico")
    def favicon():
        # read at once (a few KB): no file left open when a client drops the response
        icon = Path(app.static_folder, "favicon.ico").read_bytes()
        response = app.response_class(icon, mimetype="image/vnd.microsoft.icon")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        response.add_etag()
        return response.make_conditional(request)


def configure_errors(app: Flask) -> None:
    from .errors import register_error_handlers

    register_error_handlers(app)


def configure_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        """200 while the database answers ("status": "degraded" when email waits too long),
        503 when it does not. ``mail_queue``: counts, the oldest unsent email's age."""
        from .services.mail import queue_status

        try:
            db.session.execute(text("SELECT 1"))
            ok = True
        except Exception:  # noqa: BLE001 - any failure means unreachable
            db.session.rollback()
            ok = False
        body = {
            "status": "ok" if ok else "unavailable",
            "database": "reachable" if ok else "unreachable",
        }
        if ok:
            try:
                queue = queue_status(db.session, count_sent=False)
            except Exception:  # noqa: BLE001 - the queue's figures are extra information
                db.session.rollback()
                app.logger.exception("could not read the mail queue")
                body["status"] = "degraded"
                body["mail_queue"] = {"status": "unknown"}
            else:
                limit = float(app.config.get("MAIL_QUEUE_MAX_AGE_SECONDS") or 900)
                ages = (queue["oldest_pending_age_seconds"], queue["oldest_notice_age_seconds"])
                late = any(age is not None and age > limit for age in ages)
                body["mail_queue"] = {"status": "late" if late else "ok", **queue}
                if late:
                    body["status"] = "degraded"
        return jsonify(body), 200 if ok else 503


def configure_cli(app: Flask) -> None:
    from .cli import register_cli

    register_cli(app)


def configure_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if getattr(g, "noindex", False):
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response
