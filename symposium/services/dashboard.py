"""Figures of an event, aggregated in the database (GROUP BY), and charts drawn as inline SVG.

The charts need no script and nothing from another host. In a right-to-left language the bars
grow from the right and the labels are right-aligned, numbers are formatted by Babel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session as OrmSession

from ..i18n import country_name, fmt_date, fmt_number, text_direction
from ..models import Event, Registration, Session

LANGUAGE_NAMES = {"ar": "العربية", "en": "English", "fr": "Français"}


@dataclass
class Figures:
    by_status: dict[str, int] = field(default_factory=dict)
    checked_in: int = 0
    per_day: list[tuple[str, int]] = field(default_factory=list)
    countries: list[tuple[str | None, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    sessions: list[tuple[Session, int, int]] = field(default_factory=list)  # (s, confirmed, cap)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def figures(session: OrmSession, event: Event, *, top_countries: int = 15) -> Figures:
    base = Registration.event_id == event.id
    result = Figures()
    for status, count in session.execute(
        select(Registration.status, func.count()).where(base).group_by(Registration.status)
    ):
        result.by_status[status] = count
    result.checked_in = (
        session.scalar(select(func.count()).where(base, Registration.checked_in_at.is_not(None)))
        or 0
    )
    result.per_day = _per_local_day(session, base, event.timezone)
    active = base & (Registration.status != "cancelled")
    result.countries = [
        (c, n)
        for c, n in session.execute(
            select(Registration.country, func.count().label("n"))
            .where(active)
            .group_by(Registration.country)
            .order_by(func.count().desc(), Registration.country)
            .limit(top_countries)
        )
    ]
    result.languages = [
        (code, n)
        for code, n in session.execute(
            select(Registration.preferred_language, func.count())
            .where(active)
            .group_by(Registration.preferred_language)
            .order_by(func.count().desc())
        )
    ]
    result.sessions = [
        (s, s.confirmed_count or 0, s.capacity)
        for s in session.scalars(
            select(Session)
            .where(Session.event_id == event.id, Session.capacity.is_not(None))
            .order_by(Session.starts_at)
        )
    ]
    return result


def _per_local_day(session: OrmSession, where, timezone: str) -> list[tuple[str, int]]:
    """Registrations per day of the event's timezone (ISO dates, in order)."""
    created = Registration.created_at  # naive UTC
    if session.get_bind().dialect.name == "postgresql":
        day = func.date(func.timezone(timezone, func.timezone("UTC", created)))
        rows = session.execute(select(day, func.count()).where(where).group_by(day).order_by(day))
        return [(str(d), n) for d, n in rows]
    # SQLite knows no time zones: count per UTC quarter of an hour (every UTC offset is a
    # multiple of 15 minutes, so a quarter never straddles a local midnight), add up here
    hour = func.strftime("%Y-%m-%d %H", created)
    quarter = cast(func.strftime("%M", created), Integer) // 15
    tz = ZoneInfo(timezone)
    days: dict[str, int] = {}
    for start, q, n in session.execute(
        select(hour, quarter, func.count()).where(where).group_by(hour, quarter)
    ):
        moment = datetime.strptime(start, "%Y-%m-%d %H").replace(minute=15 * q, tzinfo=UTC)
        local = moment.astimezone(tz).date().isoformat()
        days[local] = days.get(local, 0) + n
    return sorted(days.items())


def _label_day(iso: str, lang: str) -> str:
    from datetime import date

    try:
        return fmt_date(date.fromisoformat(iso[:10]), lang, "medium")
    except ValueError:
        return iso


def bar_chart(
    rows: list[tuple[str, float]],
    lang: str,
    *,
    title: str,
    maximum: float | None = None,
    value_labels: list[str] | None = None,
    width: int = 560,
    label_width: int = 190,
    bar_height: int = 22,
    value_space: int = 70,
) -> Markup:
    """A horizontal bar chart as inline SVG, mirrored in right-to-left languages."""
    rtl = text_direction(lang) == "rtl"
    gap = 8
    plot = width - label_width - value_space
    height = max(1, len(rows)) * (bar_height + gap) + gap
    top = max([maximum or 0] + [v for _, v in rows]) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-inline-size:{width}px" direction="{"rtl" if rtl else "ltr"}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_height + gap)
        length = 0 if value <= 0 else max(2, round(plot * value / top))
        shown = value_labels[i] if value_labels else fmt_number(value, lang)
        mid = y + bar_height * 0.7
        if rtl:
            label_x = width
            bar_x = width - label_width - length
            value_x = bar_x - 6
            anchor_label, anchor_value = "start", "start"
        else:
            label_x = 0
            bar_x = label_width
            value_x = bar_x + length + 6
            anchor_label, anchor_value = "start", "start"
        direction = ' direction="rtl"' if rtl else ""
        parts.append(
            f'<text x="{label_x}" y="{mid:.1f}" text-anchor="{anchor_label}"{direction} '
            f'font-size="13" fill="#1d2733">{escape(_truncate(label, 28))}</text>'
        )
        parts.append(
            f'<rect x="{bar_x}" y="{y}" width="{length}" height="{bar_height}" rx="3" '
            f'fill="#0b5cab"><title>{escape(label)}: {escape(shown)}</title></rect>'
        )
        parts.append(
            f'<text x="{value_x}" y="{mid:.1f}" text-anchor="{anchor_value}"{direction} '
            f'font-size="13" fill="#5b6776">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def charts(fig: Figures, lang: str, labels: dict[str, str]) -> dict[str, Markup]:
    """The dashboard's charts; ``labels`` holds translated titles."""
    out = {}
    out["per_day"] = bar_chart(
        [(_label_day(d, lang), n) for d, n in fig.per_day], lang, title=labels["per_day"]
    )
    out["countries"] = bar_chart(
        [(country_name(c, lang) if c else labels["unknown"], n) for c, n in fig.countries],
        lang,
        title=labels["countries"],
    )
    out["languages"] = bar_chart(
        [(LANGUAGE_NAMES.get(code, code or labels["unknown"]), n) for code, n in fig.languages],
        lang,
        title=labels["languages"],
    )
    if fig.sessions:
        rows = []
        value_labels = []
        for s, confirmed, capacity in fig.sessions:
            pct = (100 * confirmed / capacity) if capacity else 0
            rows.append((s.t("title", lang), pct))
            value_labels.append(
                f"{fmt_number(round(pct), lang)}% ({fmt_number(confirmed, lang)}/{fmt_number(capacity, lang)})"
            )
        out["sessions"] = bar_chart(
            rows,
            lang,
            title=labels["sessions"],
            maximum=100,
            value_labels=value_labels,
            value_space=120,
        )
    return out
