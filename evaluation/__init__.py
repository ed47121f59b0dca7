"""quotebot's evaluation: question sets -> a run of one or more systems -> summary and report.

It sits beside the answering core (`quotebot.bot`) and only uses it; nothing in `bot` imports it.
"""
