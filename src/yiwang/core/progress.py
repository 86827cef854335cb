"""Progress of long command-line work (loading the demo, imports), shown on stderr.

On a terminal it is a tqdm bar with counts, rate and time left. Anywhere else (CI logs,
a pipe, a file) a bar's carriage returns would pile up into one unreadable line, so the
same figures are printed as plain lines: when the phase starts, at most every
``interval`` seconds while it runs, and when it ends.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO

from tqdm import tqdm

PLAIN_INTERVAL_SECONDS = 10.0


class Progress:
    """Counts of one phase; ``advance`` as work gets done, ``close`` (or ``with``) at the end."""

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "",
        stream: IO[str] | None = None,
        interval: float = PLAIN_INTERVAL_SECONDS,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.started = time.monotonic()
        self._last_line = self.started
        self._closed = False
        self._bar: tqdm | None = None
        if _is_terminal(self.stream):
            self._bar = tqdm(
                total=total,
                desc=label,
                unit=unit or "it",
                file=self.stream,
                dynamic_ncols=True,
                mininterval=0.2,
            )
        else:
            self._line()

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last_line >= self.interval:
            self._last_line = now
            self._line()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        else:
            self._line()

    def _line(self) -> None:
        meter = tqdm.format_meter(
            self.count,
            self.total,
            time.monotonic() - self.started,
            prefix=self.label,
            unit=self.unit or "it",
            ncols=0,  # no bar: counts, percentage, elapsed<left, rate
        )
        self.stream.write(meter + "\n")
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
