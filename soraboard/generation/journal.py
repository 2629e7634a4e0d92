"""The bundle lock, as generation has always imported it.

Take records themselves are written by :meth:`soraboard.storage.bundle.Bundle.write_take`
(atomic). The lock that keeps two soraboard processes from writing one bundle lives in
:mod:`soraboard.storage.lock`: every writer holds it (the editor for its whole session, and
``import``, ``plan``, ``generate`` and exports into the bundle while they run).
"""

from __future__ import annotations

from soraboard.storage.lock import LOCK_FILE, BundleLock, LockHeld

__all__ = ["LOCK_FILE", "BundleLock", "LockHeld"]
