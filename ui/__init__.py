"""quotebot's page and HTTP API: a Gradio chat over the Bot, with a source viewer and an
evaluation tab (`ui.app`), and a JSON API beside it (`ui.api`), served by one process
(`ui.server`).

Importing this package is cheap: `ui.render`, `ui.transcript`, `ui.evaluation` and `ui.guard`
are plain Python; `ui.app` imports gradio (with an install hint if it is missing), and
`ui.server`, `ui.api` and `ui.sessions` import it or FastAPI.
"""
