from flask import render_template

from ..extensions import db
from ..models import Event
from . import bp


@bp.get("/")
def index():
    events = db.session.scalars(
        db.select(Event).where(Event.status == "published").order_by(Event.starts_on.desc())
    ).all()
    return render_template("public/index.html", events=events)
