"""When to look at a running job again: adaptive polling.

A fixed 5 s poll sees a job that finished at +3 s only at +5 s, and every chained hand-off
waits up to one interval more (issue 17.7, read from a real proxy's request log). A
:class:`PollPlan` asks soon after the create, then spaces its looks by what it knows of the
job's remaining time: the provider's progress (``progress`` grows roughly linearly with time
on every server we know), else the model's typical latency (learned from the jobs this
process saw finish, else the catalog's ``typical_latency``). Far from the end it asks at most
every ``cap`` seconds (the profile's ``poll_interval``); near the end every ``fine`` seconds,
so a finished job is seen within about ``fine``. A 429 on a poll raises the floor (doubling,
honouring ``Retry-After``); successful looks bring it down again.

Pure and clock-free (the caller passes elapsed seconds), so it is tested with a simulated
clock as well as against the loopback server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

#: the first look after a create (a fast job, or a server that fails the job at once)
FIRST_LOOK = 1.0
#: the resolution assumed of a provider's progress (OpenAI's is whole percents)
STEP = 0.01
#: the interval near the expected end: a finished job is seen within about this
FINE = 1.0


@dataclass
class PollPlan:
    """The poll schedule of one job. ``cap``: longest interval (the profile's setting);
    ``expected``: the job's expected total latency in seconds (None = unknown)."""

    cap: float
    expected: float | None = None
    fine: float = FINE
    first: float = FIRST_LOOK
    floor: float = 0.0  #: raised by 429s
    #: bounds of the total latency the progress reports allow (they are whole percents,
    #: rounded down: p at t means p <= t/total < p + 1 %)
    _low: float | None = None
    _high: float | None = None
    _fraction: float = 0.0

    def __post_init__(self) -> None:
        self.cap = max(self.cap, 0.0)
        # A profile that asks for faster polls than ``fine`` (tests, a local server) keeps them.
        self.fine = min(self.fine, self.cap)
        self.first = min(self.first, self.cap)

    def observe(self, elapsed: float, progress: float) -> None:
        """A successful look at ``elapsed`` seconds after the create, with its progress 0–1."""
        self.floor = self.floor / 2 if self.floor > self.cap else 0.0
        if 0.0 < progress < 1.0 and elapsed > 0:
            low = elapsed / min(progress + STEP, 1.0)
            high = elapsed / progress
            self._low = low if self._low is None else max(self._low, low)
            self._high = high if self._high is None else min(self._high, high)
            self._fraction = progress

    def throttled(self, retry_after: float | None) -> float:
        """A 429 on a poll: the wait before the next look (``Retry-After`` when the server
        says one, else a doubling floor)."""
        self.floor = max(self.floor * 2, self.cap, 1.0)
        return max(self.floor, retry_after or 0.0)

    def total(self) -> float | None:
        """The job's probable total latency from the create (None = no idea)."""
        if self._low is not None:
            # Linear from the create (queue time included); the early end of what the
            # reports allow, so the looks close in on the end rather than overshoot it.
            total = self._low
            if self.expected is not None and self._fraction < 0.1:
                total = max(total, self.expected)  # "1 %" early on says little
            return total
        return self.expected

    def next_wait(self, elapsed: float) -> float:
        """Seconds to wait before the next look, ``elapsed`` seconds after the create."""
        total = self.total()
        if elapsed < self.first:
            # Soon after the create, whatever is expected: a refused or instant job shows.
            wait = self.first - elapsed
        elif total is None:
            # Nothing known: ask often at first, then less, up to the cap.
            wait = min(max(self.fine, elapsed / 4), self.cap)
        else:
            left = total - elapsed
            if left > self.fine:
                # Aim a look just after the expected end, never more than the cap away.
                wait = min(max(left / 2, self.fine), self.cap)
            elif left > 0:
                wait = min(left + 0.1 * self.fine, self.fine)
            elif self._high is not None and elapsed < self._high:
                wait = self.fine  # inside what the reports allow: the end is near
            else:
                # Late: every ``fine`` at first, then less often the later it runs.
                wait = min(max(self.fine, -left / 4), self.cap)
        return max(wait, self.floor, 0.0)


@dataclass
class LatencyBook:
    """Typical latency per model, learned from finished jobs (an average weighted to the
    recent ones); thread-safe."""

    weight: float = 0.5
    _seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def learn(self, model: str, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            old = self._seen.get(model)
            self._seen[model] = seconds if old is None else \
                old + self.weight * (seconds - old)

    def get(self, model: str) -> float | None:
        with self._lock:
            return self._seen.get(model)
