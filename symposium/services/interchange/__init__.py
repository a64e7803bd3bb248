"""The event interchange format: one JSON document per event (see docs/interchange.md).

``export_event(event)`` turns an event into a plain dict with a stable key and list order;
``import_event(session, data)`` validates the WHOLE document first and raises
``InterchangeError`` listing every problem by its path (``sessions[3].starts_at: ...``), and
only then creates the event or updates it in place (rooms, speakers and sessions matched by
key). Times in the file are wall-clock times in the event's timezone. No HTTP here: the CLI
and the workspace both call these functions; the caller commits.
"""

from __future__ import annotations

from .common import FORMAT_NAME, FORMAT_VERSION, ImportResult, InterchangeError
from .export import dumps, export_event
from .importer import import_event, import_event_result

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ImportResult",
    "InterchangeError",
    "dumps",
    "export_event",
    "import_event",
    "import_event_result",
]
