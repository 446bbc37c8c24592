"""Exports started from the app: a download in a browser, a file under ``exports/`` in a terminal.

Both run in a thread worker (they read the whole database) and hand the text to
:meth:`textual.app.App.deliver_text`, which downloads it under ``annotator serve`` and
writes it to ``save_directory`` in a terminal.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from annotator.tui.app import AnnotatorApp

EXPORTS = Path("exports")


SAVE_WAIT_S = 10.0
"""How long an export waits for labels still being saved."""


def _all_saved(app: AnnotatorApp) -> bool:
    """In a worker: wait until every label on screen is committed, so the export holds it.

    False (and the user told why) if the writer is still failing after :data:`SAVE_WAIT_S`.
    """
    if app.saver.wait_idle(timeout=SAVE_WAIT_S):
        return True
    app.call_from_thread(
        app.notify,
        "Not exported: some labels are not saved yet (see the status bar); "
        "export again once they are.",
        severity="error",
    )
    return False


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _deliver(app: AnnotatorApp, text: str, filename: str, mime_type: str) -> None:
    """Hand ``text`` to the user (UI thread)."""
    folder = None
    if not app.is_web:
        folder = EXPORTS.resolve()
        folder.mkdir(parents=True, exist_ok=True)
    app.deliver_text(
        io.StringIO(text),
        save_directory=folder,
        save_filename=filename,
        encoding="utf-8",
        mime_type=mime_type,
        name="export",
    )


def export_my_labels(app: AnnotatorApp) -> None:
    """Export this annotator's own labels (the interchange JSONL), never anyone else's."""
    name, scheme, session = app.annotator, app.scheme, app.session
    if not name:
        return

    def work() -> None:
        from annotator.export.labels_io import write_interchange

        if not _all_saved(app):
            return
        out = io.StringIO()
        try:
            n = write_interchange(
                app.service.store, out, scheme, session_name=session or None, annotators=[name]
            )
        except Exception as exc:
            app.call_from_thread(app.notify, f"export failed: {exc}", severity="error")
            return
        if n == 0:
            app.call_from_thread(app.notify, "Nothing to export yet: label some units first.")
            return
        app.call_from_thread(
            _deliver, app, out.getvalue(), f"labels-{name}-{_stamp()}.jsonl", "application/x-ndjson"
        )

    app.run_worker(work, thread=True, group="export", exclusive=True)


def export_report(app: AnnotatorApp) -> None:
    """The agreement report as one HTML file (not offered in blind sessions)."""
    if app.blind:
        app.notify(
            "The agreement report shows other annotators' labels; it is not "
            "available in a blind session.",
            severity="warning",
        )
        return
    scheme, session = app.scheme, app.session

    def work() -> None:
        from annotator.export.report import agreement_report, render_html

        if not _all_saved(app):
            return
        try:
            report = agreement_report(app.service, scheme, session_name=session or None)
            html = render_html(report)
        except Exception as exc:
            app.call_from_thread(app.notify, f"report failed: {exc}", severity="error")
            return
        app.call_from_thread(_deliver, app, html, f"agreement-{_stamp()}.html", "text/html")

    app.run_worker(work, thread=True, group="export", exclusive=True)
