"""The page's documents: upload transcripts into the running server's corpus, and pick the one
document a conversation is about.

An upload is added to the user's library (index/library.py, the files copied into the cache),
the index of corpus + library is rebuilt (only the new text is embedded), and a new Bot over it
replaces the page's Bot (`QuotebotUI.use`); answers already streaming finish on the old one.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
from quotebot.index import library
from quotebot.index.corpus import CorpusError
from quotebot.index.formats import SUFFIXES
from quotebot.index.store import IndexCorrupt, ensure_index

from .render import escape_markdown

if TYPE_CHECKING:
    from .app import QuotebotUI

ALL = "All documents"


def document(scope: str | None) -> str | None:
    """Return the document a conversation is scoped to (None: every document)."""
    return None if not scope or scope == ALL else scope


class Uploads:
    """Adds uploaded files to the page's corpus, one upload at a time."""

    def __init__(self, ui: QuotebotUI):
        self.ui = ui
        self._lock = threading.Lock()

    def choices(self) -> list[str]:
        """Return the document selector's choices: all documents, then each by name."""
        return [ALL, *sorted(self.ui.index.documents)]

    def refresh(self, scope: str | None = ALL) -> dict:
        """Return the selector with the current documents, keeping `scope` if it still exists."""
        choices = self.choices()
        return gr.update(choices=choices, value=scope if scope in choices else ALL)

    def add(
        self,
        files: list[str] | None,
        scope: str,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's idiom
    ) -> tuple[str, dict, None]:
        """Add `files` (the server's temporary copies) to the corpus; return the status line,
        the selector (the new documents in it) and an emptied upload control."""
        if not files:
            return "", self.refresh(scope), None
        with self._lock:
            started = time.perf_counter()
            lines, added = [], []
            bot = self.ui.bot
            for n, file in enumerate(map(Path, files)):
                progress((n, len(files)), desc=f"reading {file.name}", unit="files")
                try:
                    added += library.add([file], bot.settings, lines.append, copy=True)
                except CorpusError as exc:
                    lines.append(f"\u26a0\ufe0f {_shown(exc, file)}")
            if added:
                progress(0.9, desc="indexing the new passages")
                try:
                    settings = library.with_library(bot.settings, lines.append)
                    index = ensure_index(settings, log=lines.append)
                except (CorpusError, IndexCorrupt) as exc:
                    lines.append(f"\u26a0\ufe0f {exc}")
                else:
                    fresh = type(bot)(settings, index=index, scoring=bot.scoring).warm_up()
                    self.ui.use(fresh)
                    took = time.perf_counter() - started
                    lines = [_added(index, d.doc) for d in added] + lines
                    lines.append(f"Indexed in {took:.1f} s; {len(index.documents)} documents.")
            text = "\n\n".join(escape_markdown(line) for line in lines)
            return text, self.refresh(scope), None


def library_panel(ui: QuotebotUI) -> gr.Dropdown:
    """Lay out the document selector and the upload control; return the selector (its value
    scopes the conversation: `document(value)`)."""
    uploads = Uploads(ui)
    scope = gr.Dropdown(
        uploads.choices(),
        value=ALL,
        label="Ask about",
        elem_id="qb-doc",
        interactive=True,
    )
    with gr.Accordion("Add documents", open=False, elem_id="qb-add-docs"):
        files = gr.File(
            label="Transcripts (.txt .md .html .pdf .docx .vtt .srt)",
            file_count="multiple",
            file_types=list(SUFFIXES),
            type="filepath",
            elem_id="qb-upload",
        )
        status = gr.Markdown(elem_id="qb-upload-status")
    files.upload(
        uploads.add,
        [files, scope],
        [status, scope, files],
        concurrency_id="library",
        concurrency_limit=1,
        api_visibility="private",
    )
    gr.on(None, uploads.refresh, None, scope, queue=False, api_visibility="private")  # on load
    return scope


def _added(index, doc: str) -> str:
    passages = [p for p in index.passages if p.doc == doc]
    who = library.speakers(passages)
    return f"Added {doc}: {len(passages)} passages; speakers: {', '.join(who) or 'none named'}."


def _shown(exc: CorpusError, file: Path) -> str:
    """Return the error with the server's temporary path replaced by the file's own name."""
    return str(exc).replace(str(file.absolute()), file.name).replace(str(file), file.name)
