from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..models.types import utcnow
from ..services import audit
from . import bp, services
from .forms import ChangePasswordForm, LoginForm
from .services import authenticate


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: "/en/manage/", never "//evil.example" or "https://…"."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _login_limit() -> str:
    from flask import current_app

    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("manage.home"))
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
            return render_template("auth/login.html", form=form), 400
        services.start_session(db.session, user)
        login_user(user, remember=form.remember.data)
        user.last_login_at = utcnow()
        db.session.commit()
        return redirect(safe_next(form.next.data) or url_for("manage.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.end_session(db.session, current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's password; every other session of the account is signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current.data, form.new.data)
        except services.AccountError as exc:
            form.current.errors.append(str(exc))
            return render_template("auth/password.html", form=form), 400
        audit.record(db.session, "user.password", user=current_user, target=current_user.email)
        # this session carries the old nonce: sign it in again with the new one
        user = current_user._get_current_object()
        services.start_session(db.session, user)
        db.session.commit()
        login_user(user)
        flash(_("Your password is changed. Other sessions are signed out."), "success")
        return redirect(url_for("manage.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
