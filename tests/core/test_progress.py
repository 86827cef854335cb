"""Progress of long commands: a bar on a terminal, plain lines in a log."""

from __future__ import annotations

import io

from yiwang.core.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_plain_lines_with_counts_and_time_left() -> None:
    log = io.StringIO()
    with Progress("案卷", 4, unit="件", stream=log, interval=0) as bar:
        for _ in range(4):
            bar.advance()
    text = log.getvalue()
    assert "\r" not in text  # no carriage returns piling up in a CI log
    lines = text.splitlines()
    assert lines[0].startswith("案卷:   0% 0/4")
    assert "案卷:  50% 2/4" in lines[2] and "<" in lines[2]  # elapsed<left
    assert lines[-1].startswith("案卷: 100% 4/4")


def test_a_log_is_not_flooded_between_intervals() -> None:
    log = io.StringIO()
    with Progress("部件", 1000, stream=log, interval=3600) as bar:
        for _ in range(1000):
            bar.advance()
    # The start and the end only: nothing in between within the hour.
    assert len(log.getvalue().splitlines()) == 2


def test_a_terminal_gets_a_bar_redrawn_in_place() -> None:
    screen = Terminal()
    with Progress("单元网格", 306, unit="个", stream=screen) as bar:
        bar.advance(306)
    text = screen.getvalue()
    assert "\r" in text
    assert "306/306" in text and "单元网格" in text
