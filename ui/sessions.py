"""Gradio's per-session memory, made small. For every session Gradio keeps a copy of the
configuration of every component of the page (about 80 KB on this page, whether or not the
session changes anything), and every event writes its inputs' and outputs' values into it (the
conversation, the source viewer's HTML). Only Gradio's deep links read that copy, and the page
offers none; so here a session keeps none of it: only what events read back, its `gr.State`
values (the conversation) and the components an event changed (the buttons).
"""

from __future__ import annotations

import datetime
import os
from copy import copy

from gradio.components import State
from gradio.state_holder import SessionState, StateHolder
from starlette.routing import Mount


class LeanSessionState(SessionState):
    """A session's state without Gradio's copy of its components' configuration and values
    (`config_values`, read only to make deep links)."""

    def __init__(self, blocks):
        """Set up what SessionState.__init__ does, without the configuration of every
        component it works out first (about 20 ms of CPU per new session on this page)."""
        self.blocks_config = copy(blocks.default_config)
        self.config_values = {}
        self.state_data = {}
        self._state_ttl = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600

    def __setitem__(self, key: int, value) -> None:
        """Keep `value` as Gradio's session state does, without working out the component's
        configuration for `config_values` (4% of the page's CPU under load)."""
        block = self.blocks_config.blocks.get(key)
        if isinstance(block, State):
            self._state_ttl[key] = (block.time_to_live, datetime.datetime.now())
            self.state_data[key] = value
        else:
            self.blocks_config.blocks[key] = value

    def _update_config(self, key: int) -> None:
        """Keep no copy of the component's configuration."""

    def _update_value_in_config(self, key: int, value) -> None:
        """Keep no copy of the value an event read or wrote."""


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
