"""The CLI's terminal progress bar."""
import io

from duplicalt.cli.progress import ProgressBar, format_eta
from duplicalt.progress.meter import Progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_eta_formats():
    assert format_eta(None) == "--"
    assert format_eta(65.4) == "1m05s"
    assert format_eta(3725) == "1h02m"


def test_bar_line_shows_count_fraction_rate_and_eta():
    bar = ProgressBar(io.StringIO(), width=10)
    line = bar.line(Progress("embed", 5, 10, 2.5, 2.0))
    assert "[#####     ]" in line and "5/10" in line and "50%" in line
    assert "2.5 photos/s" in line and "ETA 0m02s" in line
    unknown = bar.line(Progress("hash", 10, 10, 0.0, None))  # done before a rate meant anything
    assert unknown.endswith("10/10 100%") and "/s" not in unknown


def test_a_pipe_gets_whole_lines_and_a_terminal_redraws_one():
    pipe = io.StringIO()
    ProgressBar(pipe)(Progress("walk", 3, 0))
    assert pipe.getvalue() == "walk   3 files\n"
    tty = Tty()
    bar = ProgressBar(tty, interval=0)
    bar(Progress("embed", 1, 2, 1.0, 1.0))
    bar(Progress("verify", 2, 2, 1.0, 0.0))
    bar.close()
    text = tty.getvalue()
    assert text.startswith("\rembed") and "\n\rverify" in text and text.endswith("\n")


def test_disabled_bar_writes_nothing():
    out = io.StringIO()
    ProgressBar(out, enabled=False)(Progress("embed", 1, 2))
    assert out.getvalue() == ""
