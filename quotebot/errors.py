"""Errors that are the user's to fix: the CLI prints them in one line and exits with 2."""


class UserError(ValueError):
    """A mistake in what the user gave (a flag, a variable, a file): the message says which."""


class QuestionError(UserError):
    """The question cannot be answered as given (empty, too long, ...)."""


class SettingsError(UserError):
    """A setting is invalid; the message names the variable or flag and the bad value."""


class StoreError(UserError):
    """The configured vector store cannot be used (the qdrant extra is missing, or the Qdrant
    server at QUOTEBOT_QDRANT_URL does not answer)."""
