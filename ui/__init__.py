"""quotebot's page: a Gradio chat over the Bot, with a source viewer and an evaluation tab.

Importing this package is cheap: `ui.render` is plain Python, and only `ui.app` imports gradio
(with an install hint if it is missing).
"""
