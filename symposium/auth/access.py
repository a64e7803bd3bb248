"""Who may do what: decorators for the workspace views."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from ..extensions import db, login_manager
from ..models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session cookie (or remember cookie): ``id:nonce:key``.

    Refused when the nonce changed (role or password change, deactivation) or when the
    server-side session ``key`` was closed (signed out).
    """
    from .services import session_is_open

    uid, nonce, key = (user_id.split(":") + ["", ""])[:3]
    if not uid.isdigit() or len(uid) > 12:
        return None
    user = db.session.get(User, int(uid))
    if user is None or user.session_nonce != nonce or not user.active:
        return None
    if not session_is_open(db.session, user, key):
        return None
    user.login_key = key
    return user


def roles_required(*roles: str):
    """Login required, then one of ``roles`` (admin always passes); else a translated 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


@login_manager.unauthorized_handler
def unauthorized():
    """Anonymous request to the workspace: to the login page, coming back here afterwards."""
    from flask import redirect, request, url_for

    from ..i18n import current_language

    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", lang=current_language(), next=target))
