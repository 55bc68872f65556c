"""The one error the Open Badges operations raise, in a module of its own so that every
operations module (issuers, badges, issuing) and their callers import it without a cycle."""


class OperationError(ValueError):
    """A request that cannot be carried out; ``code`` is a stable machine-readable name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
