"""quotebot: ask a statement or transcript questions and get verbatim, verified, cited quotes.

The package is one namespace: `quotebot.index` (files -> passages -> vectors), `quotebot.bot`
(question -> cited answer), `quotebot.evaluation` (question sets -> report), `quotebot.ui` (the
page), `quotebot.prompts` (LLM templates), and here the settings, the user errors and the CLI.
Importing it is cheap.
"""
