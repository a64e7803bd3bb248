"""Every Flask extension object lives here, created unbound and initialised by the factory."""

import logging

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


class SymposiumLimiter(Limiter):
    """Flask-Limiter, warning at start when several processes share nothing but ``memory://``.

    Each process then counts on its own, so a limit of 10 per minute becomes 10 per process.
    """

    def init_app(self, app) -> None:
        super().init_app(app)
        warn_memory_store_with_processes(app)


def warn_memory_store_with_processes(app, environ=None, argv=None) -> bool:
    """Log a warning (and return True) when the limits are per process but several serve."""
    import os

    from .config import serving_processes

    if not app.config.get("RATELIMIT_ENABLED", True):
        return False
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    processes = serving_processes(os.environ if environ is None else environ, argv)
    if not uri.startswith("memory://") or processes <= 1:
        return False
    logging.getLogger("symposium").warning(
        "Rate limits are counted in each process's memory (RATELIMIT_STORAGE_URI=memory://) "
        "but %d processes serve the app: each limit is effectively %d times higher. "
        "Set RATELIMIT_STORAGE_URI=redis://... to share the counters.",
        processes,
        processes,
    )
    return True


limiter = SymposiumLimiter(key_func=get_remote_address, default_limits=[])
