from flask import jsonify

from . import bp


@bp.get("/ping")
def ping():
    """A trivial route: the baseline of the benchmarks."""
    return jsonify({"ok": True})
