"""CLI commands: events."""

from flask import Flask


def register(app: Flask) -> None:
    """Add this area's commands to ``flask --app symposium``."""
