"""WTForms widgets for the public forms, with the same HTML as WTForms' own but cheaper to
render: the registration form is the page that a crowd loads when registration opens.

- ``html_params``: WTForms' attribute rendering, with an f-string instead of
  ``Markup.format`` (Python's ``string.Formatter``: most of a text input's rendering time);
  the output is identical (tests/test_registration_statements.py compares them).
- ``TextInput``, ``EmailInput``, ``CheckboxInput``, ``RadioInput`` use it through WTForms'
  own hook (``Input.html_params``); ``TextArea`` and ``CachedSelect`` call it.
- ``Label`` (given to a form's fields by ``fast_labels``) too.
- ``CachedSelect`` renders the options of a process-wide tuple of choices (the ~250
  countries of one language) once, and then only marks the selected option.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import fields, widgets
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.widgets.core import clean_key

_QUOTE = Markup('"')
_QUOTE_ENTITY = Markup("&quot;")


def html_params(**kwargs) -> Markup:
    """``wtforms.widgets.html_params`` (same output: sorted, ``True`` alone, ``False``
    dropped, keys and values escaped)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(escape(key))
        elif value is not False:
            params.append(f'{escape(key)}="{escape(value).replace(_QUOTE, _QUOTE_ENTITY)}"')
    return Markup(" ".join(params))  # noqa: S704 - every key and value is escaped above


class Label(fields.Label):
    """WTForms' label, through the ``html_params`` above (a form swaps its labels for these:
    see ``fast_labels``)."""

    def __call__(self, text=None, **kwargs):
        if "for_" in kwargs:
            kwargs["for"] = kwargs.pop("for_")
        else:
            kwargs.setdefault("for", self.field_id)
        attributes = html_params(**kwargs)
        attributes = f" {attributes}" if attributes else ""
        return Markup(f"<label{attributes}>{escape(text or self.text)}</label>")  # noqa: S704


def fast_labels(form) -> None:
    """Give every field of ``form`` a ``Label`` of this module (same HTML)."""
    for field in form:
        if type(field.label) is fields.Label:
            field.label = Label(field.label.field_id, field.label.text)


class TextInput(widgets.TextInput):
    html_params = staticmethod(html_params)


class EmailInput(widgets.EmailInput):
    html_params = staticmethod(html_params)


class CheckboxInput(widgets.CheckboxInput):
    html_params = staticmethod(html_params)


class RadioInput(widgets.RadioInput):
    html_params = staticmethod(html_params)


class TextArea(widgets.TextArea):
    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        params = html_params(name=field.name, **kwargs)
        # WTForms' TextArea: a newline after the tag (HTML drops one there), the value escaped
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")  # noqa: S704


class CachedSelect(widgets.Select):
    """A ``<select>`` whose options are rendered once per process when the field's choices
    are an immutable tuple kept for the process (the ~250 countries: rendering them option by
    option was most of the registration form's cost). Each render only marks the selected
    option; the ``<select>`` attributes (id, name, aria-invalid, ...) are rendered as usual.
    Other choices (a list built per request) are rendered by WTForms' own widget."""

    def __init__(self):
        super().__init__(multiple=False)
        # id(choices) -> (choices, options HTML, {value: (start, end, selected HTML)})
        self._cache: dict[int, tuple] = {}

    def _options(self, field, choices: tuple) -> tuple[str, dict] | None:
        entry = self._cache.get(id(choices))
        if entry is None or entry[0] is not choices:
            if any(not isinstance(c, SelectChoice) or c.optgroup is not None for c in choices):
                return None
            html, index = [], {}
            position = 0
            for choice in choices:
                value, label = choice.value, choice.label
                kw = choice.render_kw or {}
                plain = str(self.render_option(Choice(value, label, False, kw)))
                selected = str(self.render_option(Choice(value, label, True, kw)))
                index.setdefault(field.coerce(value), (position, position + len(plain), selected))
                html.append(plain)
                position += len(plain)
            entry = (choices, "".join(html), index)
            if len(self._cache) > 64:  # choices tuples are per language: never reached
                self._cache.clear()
            self._cache[id(choices)] = entry
        return entry[1], entry[2]

    def __call__(self, field, **kwargs):
        cached = self._options(field, field.choices) if isinstance(field.choices, tuple) else None
        if cached is None:
            return super().__call__(field, **kwargs)
        options, index = cached
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        spot = index.get(field.data) if isinstance(field.data, str) else None
        if spot is not None:
            start, end, selected = spot
            options = options[:start] + selected + options[end:]
        # html_params escapes the attributes; the options were rendered (escaped) by WTForms
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704
