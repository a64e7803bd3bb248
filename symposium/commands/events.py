"""CLI commands: ``event import FILE`` and ``event export SLUG``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from ..extensions import db
from ..i18n import language

event_cli = AppGroup("event", help="Import and export events (interchange JSON).")


def _fail(path: Path, problems: list[str]) -> None:
    click.echo(f"{path}: {len(problems)} problem(s), nothing imported:", err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


def _load(path: Path) -> object:
    """The document in ``path``; its problems (size, UTF-8, JSON syntax, duplicate keys,
    nesting, numbers, characters) are listed with their path and the command exits with 1."""
    from ..services.textcheck import JSON_MAX_BYTES, JsonProblems, load_json

    with language("en"):
        if path.stat().st_size > JSON_MAX_BYTES:
            limit = JSON_MAX_BYTES // 2**20
            _fail(path, ["$: " + _("the document is larger than %(num)d MB", num=limit)])
        try:
            return load_json(path.read_bytes())
        except JsonProblems as exc:
            _fail(path, exc.problems)


def _import_file(path: Path, data: object | None = None) -> tuple[str, str]:
    """Import one file in its own transaction; returns (slug, created|updated|unchanged).
    Nothing that has registrations or certificates is deleted: such an import is refused."""
    from ..services.events import find_event
    from ..services.import_guard import removal_problems
    from ..services.interchange import InterchangeError, import_event_result

    if data is None:
        data = _load(path)
    slug = data.get("slug") if isinstance(data, dict) else None
    try:
        with language("en"):
            existing = find_event(db.session, slug) if isinstance(slug, str) else None
            problems = removal_problems(db.session, existing, data)
            try:
                result = import_event_result(db.session, data)
            except InterchangeError as exc:
                problems.extend(exc.problems)
    except Exception:
        db.session.rollback()
        raise
    if problems:
        db.session.rollback()
        _fail(path, problems)
    db.session.commit()
    return result.event.slug, result.status


@event_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path):
    """Create or update (in place, matched by slug) the event described by FILE."""
    slug, status = _import_file(file)
    messages = {
        "created": f"created event {slug}",
        "updated": f"updated event {slug}",
        "unchanged": f"event {slug} already up to date",
    }
    click.echo(messages[status])


@event_cli.command("export")
@click.argument("slug")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
)
def export_command(slug: str, output: Path | None):
    """Write the event SLUG as interchange JSON to standard output (or -o FILE)."""
    from ..services.events import find_event
    from ..services.interchange import dumps, export_event

    event = find_event(db.session, slug)
    if event is None:
        raise click.ClickException(f"no event with the slug {slug!r}")
    text = dumps(export_event(event))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def register(app: Flask) -> None:
    """Add this area's commands to ``flask --app symposium``."""
    app.cli.add_command(event_cli)
