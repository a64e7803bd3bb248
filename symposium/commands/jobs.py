"""CLI commands: the periodic jobs, for cron.

flask --app symposium jobs run-due     # run every periodic job once (mail sweep last)
flask --app symposium jobs list        # the periodic jobs and how often the scheduler runs them

With cron, set SCHEDULER_ENABLED=0 (no scheduler in the web processes) and run ``jobs run-due``
every minute; the jobs are safe to run while another run is still going.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db

jobs_cli = AppGroup("jobs", help="Periodic jobs (mail sweep, webhooks, retention, reminders).")

LAST = ("mail-sweep",)  # delivers what the other jobs queued
# What the numbers a job returns count, for the jobs that return bare numbers
LABELS = {"mail-sweep": ("rendered", "sent"), "webhooks": ("delivered",)}


def _ordered(jobs: dict) -> list:
    return sorted(jobs.values(), key=lambda job: (job.name in LAST, job.name))


def _describe(name: str, result) -> str:
    if result is None:
        return "done"
    if not isinstance(result, dict):
        values = list(result) if isinstance(result, tuple | list) else [result]
        labels = LABELS.get(name, ())
        if len(labels) == len(values):
            result = dict(zip(labels, values, strict=True))
        else:
            return ", ".join(str(value) for value in values)
    return ", ".join(f"{key} {value}" for key, value in result.items()) or "done"


@jobs_cli.command("run-due")
def run_due_command():
    """Run every registered periodic job once and print what each did (for cron)."""
    from .. import jobs, scheduler

    failed = []
    for job in _ordered(scheduler.periodic_jobs()):
        try:
            result = jobs.resolve(job.path)()
        except Exception as exc:  # noqa: BLE001 - the other jobs still run
            db.session.rollback()
            failed.append(job.name)
            click.echo(f"{job.name}: failed: {type(exc).__name__}: {exc}", err=True)
            continue
        click.echo(f"{job.name}: {_describe(job.name, result)}")
    jobs.wait_for_idle()  # deliveries started after the commits
    if failed:
        raise click.ClickException("failed: " + ", ".join(failed))


@jobs_cli.command("list")
def list_command():
    """List the periodic jobs: name, every how many seconds, job path."""
    from .. import scheduler

    for job in _ordered(scheduler.periodic_jobs()):
        click.echo(f"{job.name}\t{job.seconds:g}s\t{job.path}")


def register(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
