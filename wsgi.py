"""WSGI entry point: ``gunicorn wsgi:app`` (``--preload``: fonts warmed once, before forking)."""

from symposium import create_app, pdf

app = create_app()
pdf.warm_up(app)  # PDF_WARM_UP (default on): the first certificate after start is fast
