"""Errors that are the user's to fix: the CLI prints them in one line and exits with 2."""


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long, ...)."""
