"""Gradio's per-session memory, made small. For every session Gradio keeps a copy of the
configuration of every component of the page (about 80 KB on this page, whether or not the
session changes anything); here a session keeps the configuration only of the components its
events changed (the conversation, the source viewer, the buttons). Nothing of the page reads
the rest: it serves Gradio's deep links, which the page does not offer.
"""

from __future__ import annotations

from gradio.state_holder import SessionState, StateHolder
from starlette.routing import Mount


class LeanSessionState(SessionState):
    """A session's state without the copy of the configuration of components it left alone."""

    def __init__(self, blocks):
        super().__init__(blocks)
        self.config_values = {}  # filled per component when an event changes it


class LeanStateHolder(StateHolder):
    """Gradio's store of sessions, each a LeanSessionState."""

    def __getitem__(self, session_id: str) -> SessionState:
        if session_id not in self.session_data:
            self.session_data[session_id] = LeanSessionState(self.blocks)
        return super().__getitem__(session_id)


def use_lean_sessions(app, demo) -> None:
    """Give the Gradio app mounted in `app` for `demo` a LeanStateHolder."""
    mounted = next(
        r.app for r in app.routes if isinstance(r, Mount) and getattr(r.app, "blocks", None) is demo
    )
    holder = LeanStateHolder()
    holder.set_blocks(demo)
    mounted.state_holder = holder
