"""The window's regrouper: a regroup that verifies new pairs can be stopped; its
view is shown but not kept, and asking again resumes where it stopped."""
from duplicalt.gui.scan import worker
from duplicalt.gui.scan.regrouper import Regrouper
from duplicalt.photos.cache import Cache
from duplicalt.scan.pipeline import scan
from tests.scan.fake_embedder import PixelEmbedder
from tests.scan.test_regroup import CountingVerifier, burst


class InlineRunner:
    """Runs the work at once, in this thread (the TaskRunner's contract, minus threads)."""

    def run(self, fn, on_done=None, on_error=None):
        try:
            out = fn()
        except BaseException as exc:  # noqa: BLE001 - handed on like the real runner
            if on_error:
                on_error(exc)
            return
        if on_done:
            on_done(out)

    def run_on_main(self, fn):
        fn()


def test_stop_shows_the_checked_pairs_and_the_next_request_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "MIN_INTERVAL", 0.0)  # every batch's progress reaches us
    verifier = CountingVerifier()
    base = scan(burst(tmp_path), PixelEmbedder(), 1.01, cache=Cache(None), verifier=verifier)
    shown, errors = [], []
    regrouper = None

    def progress(p):
        if p.done:  # the user presses Stop after the first batch
            regrouper.cancel()

    regrouper = Regrouper(InlineRunner(), shown.append, errors.append, progress,
                          tmp_path / "cache.sqlite")
    regrouper.reset(base, 1.01)
    regrouper.request(0.5)
    assert not errors and regrouper.stopped and len(shown) == 1
    checked = len(verifier.checked)
    assert 0 < checked < len(shown[0].pairs.i)
    regrouper.on_progress = None
    regrouper.request(0.5)  # not kept as a finished view: verification resumes
    assert not regrouper.stopped and len(shown) == 2
    assert len(verifier.checked) == len(shown[1].pairs.i)  # each pair checked once
    regrouper.request(0.5)
    assert len(shown) == 3 and shown[2] is shown[1]  # now kept: instant
