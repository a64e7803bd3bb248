from flask import render_template
from flask_login import current_user

from ..extensions import db
from ..models import Event
from . import bp


@bp.get("/")
def home():
    query = db.select(Event).order_by(Event.starts_on.desc())
    if current_user.role != "admin":
        query = query.where(Event.id.in_([e.id for e in current_user.events]))
    events = db.session.scalars(query).all() if current_user.role != "checkin" else []
    return render_template("manage/home.html", events=events)
