"""`flask user create` / `make user`: a wrong email is refused before any password prompt, a
short password before the confirmation prompt, and `make user` without EMAIL= says what to type."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import User

ROOT = Path(__file__).resolve().parent.parent


def _user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("email", ["", "   ", "not-an-email", "a@b", "two@@example.org"])
def test_invalid_email_is_refused_before_the_password_prompt(app, runner, email):
    result = runner.invoke(args=["user", "create", email, "--role", "admin"], input="")
    assert result.exit_code == 1
    assert "Password" not in result.output  # never asked
    assert "email" in result.output
    assert _user_count(app) == 0


def test_existing_email_is_refused_before_the_password_prompt(app, runner):
    first = runner.invoke(
        args=["user", "create", "ops@example.org", "--password-stdin"], input="long enough pw\n"
    )
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["user", "create", "Ops@Example.org"], input="")
    assert again.exit_code == 1
    assert "already exists" in again.output and "Password" not in again.output


def test_short_password_is_refused_before_the_confirmation(app, runner):
    result = runner.invoke(args=["user", "create", "a@example.org"], input="short\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert "Repeat for confirmation" not in result.output
    assert _user_count(app) == 0


def test_prompts_then_confirmation_create_the_account(app, runner):
    differ = runner.invoke(
        args=["user", "create", "a@example.org"], input="long enough one\nlong enough two\n"
    )
    assert differ.exit_code == 1 and "differ" in differ.output
    assert _user_count(app) == 0
    ok = runner.invoke(
        args=["user", "create", " a@example.org ", "--role", "admin"],
        input="long enough one\nlong enough one\n",
    )
    assert ok.exit_code == 0, ok.output
    assert "Repeat for confirmation" in ok.output
    assert "created admin a@example.org" in ok.output


def test_make_user_without_email_says_what_to_type():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        [make, "-n", "-C", str(ROOT), "user"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "make user EMAIL=you@example.org" in result.stderr
    assert "install" not in result.stdout  # stops before setting anything up
