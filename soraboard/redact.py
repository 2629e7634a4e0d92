"""Secrets never reach a file, a log or the screen: one function for every text that came
from a provider or an exception.

:func:`redact` replaces every known API key (each key soraboard read from the keyring or an
environment variable, and the values of environment variables named like keys) and anything
shaped like one (``sk-…``, ``Bearer …``, ``api_key=…``) by ``[redacted]``. It is applied where
such text is stored (take records), logged (a filter on every log handler, tracebacks
included), raised (generation errors) and shown (the ``providers`` check, ``--debug``).

Pure Python, no soraboard imports: every layer may use it.
"""

from __future__ import annotations

import logging
import os
import re
import threading

MASK = "[redacted]"
#: a key shorter than this is not masked as a literal (it would hit ordinary words)
MIN_SECRET = 8

_known: set[str] = set()
_guard = threading.Lock()
_KEY_VAR = re.compile(r"(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD)$", re.IGNORECASE)
_SHAPES = [
    # OpenAI-style keys: sk-…, sk-proj-…, sk-svcacct-…
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "sk-" + MASK),
    # an Authorization header repeated back
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=\-]{8,}", re.IGNORECASE),
     r"\1 " + MASK),
    # api_key=…, "api-key": "…", x-api-key: …
    (re.compile(r"""((?:x-)?api[_-]?key["']?\s*[:=]\s*["']?)[^\s"'&,;}]{4,}""", re.IGNORECASE),
     r"\1" + MASK),
]


def register_secret(value: str | None) -> None:
    """Remember a key so every later :func:`redact` masks it, wherever it turns up."""
    if value and len(value.strip()) >= MIN_SECRET:
        with _guard:
            _known.add(value.strip())


def _secrets() -> list[str]:
    with _guard:
        found = set(_known)
    for name, value in os.environ.items():
        if _KEY_VAR.search(name) and len(value.strip()) >= MIN_SECRET:
            found.add(value.strip())
    # longest first: a key that contains another is masked whole
    return sorted(found, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every known key and anything shaped like one replaced by ``[redacted]``."""
    if not text:
        return text
    out = str(text)
    for secret in _secrets():
        if secret in out:
            out = out.replace(secret, MASK)
    for pattern, replacement in _SHAPES:
        out = pattern.sub(replacement, out)
    return out


class RedactingFilter(logging.Filter):
    """A log filter that redacts the message, its arguments and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Put a :class:`RedactingFilter` on every handler of ``logger`` (the root by default),
    once each; call again after adding handlers."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
