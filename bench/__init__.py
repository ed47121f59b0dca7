"""Benchmarks and tuning scripts for quotebot (run as `python -m bench.<name>`)."""
