"""Forms of the speakers' materials, shared by the speaker portal and the workspace."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Optional

from ..services.materials import MAX_TITLE, MAX_URL
from ..services.textcheck import SingleLine


def link_kind_labels() -> dict[str, str]:
    return {
        "recording": _("Recording"),
        "article": _("Article"),
        "link": _("Other link"),
    }


def kind_labels() -> dict[str, str]:
    return {"slides": _("Slides"), **link_kind_labels()}


class SlidesForm(FlaskForm):
    file = FileField(_l("PDF file"))
    title = StringField(
        _l("Title (optional)"), validators=[Optional(), SingleLine(MAX_TITLE)], filters=[]
    )


class LinkForm(FlaskForm):
    kind = SelectField(_l("Kind of link"), choices=[], validate_choice=False)
    url = StringField(_l("Address"), validators=[Optional(), SingleLine(MAX_URL)])
    title = StringField(_l("Title (optional)"), validators=[Optional(), SingleLine(MAX_TITLE)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = list(link_kind_labels().items())


class ManageSlidesForm(SlidesForm):
    publish = BooleanField(_l("Show on the session page now"), default=True)


class ManageLinkForm(LinkForm):
    publish = BooleanField(_l("Show on the session page now"), default=True)


class MaterialActionForm(FlaskForm):
    """A button that only needs the CSRF token (publish, unpublish, remove)."""


def slides_form(manage: bool, **kwargs) -> SlidesForm:
    return (ManageSlidesForm if manage else SlidesForm)(prefix="slides", **kwargs)


def link_form(manage: bool, **kwargs) -> LinkForm:
    return (ManageLinkForm if manage else LinkForm)(prefix="link", **kwargs)
