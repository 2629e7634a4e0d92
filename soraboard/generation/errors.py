"""Typed generation failures a UI can explain.

Every backend maps whatever its transport raises onto one of these, so the engine (and the
user) only ever has to think about five kinds of trouble. ``kind`` is what ends up in
``Take.error_kind``.
"""

from __future__ import annotations

from soraboard.redact import redact


class GenerationError(Exception):
    """Base class: ``kind`` names the family, the message is meant for the user."""

    kind = "error"

    def __init__(self, message: str) -> None:
        # providers echo requests back (headers, keys): never keep a key in an error
        message = redact(message)
        super().__init__(message)
        self.message = message


class Transient(GenerationError):
    """Worth retrying: a 429, a 5xx, a timeout, a dropped connection.

    ``retry_after`` is the server's hint in seconds (``Retry-After``/``Retry-After-Ms``).
    ``ambiguous`` means the request may have reached the server and taken effect (the answer
    was lost): a create that failed this way must be looked up before it is sent again.
    ``throttled`` means the server said 429 (too many requests): ask less often.
    """

    kind = "transient"

    def __init__(self, message: str, retry_after: float | None = None,
                 ambiguous: bool = False, throttled: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.throttled = throttled


class Rejected(GenerationError):
    """Refused by policy or validation; ``message`` keeps the provider's own words."""

    kind = "rejected"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class AuthError(GenerationError):
    """The key is missing, wrong or not allowed to use this model."""

    kind = "auth"


class QuotaError(GenerationError):
    """Out of credit, over a billing limit or a hard quota (retrying will not help)."""

    kind = "quota"


class ExpiredOrNotFound(GenerationError):
    """The job or its file is gone (assets expire hours after a job completes)."""

    kind = "expired"


class DownloadFailed(GenerationError):
    """The job said it completed but no usable video could be downloaded."""

    kind = "download"


class Cancelled(GenerationError):
    """The user cancelled; the provider may still bill for a job it had accepted."""

    kind = "cancelled"
