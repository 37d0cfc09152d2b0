"""The one threshold rule shared by the CLI, the window and the benchmarks."""
import pytest

from duplicalt.ml.model.thresholds import FALLBACK, calibrated_threshold


def test_verified_and_embedding_only_use_their_own_calibration():
    meta = {"default_threshold": 0.55, "embedding_only_threshold": 0.85}
    assert calibrated_threshold(meta, verified=True) == 0.55
    assert calibrated_threshold(meta, verified=False) == 0.85


def test_missing_embedding_only_falls_back_to_the_default_then_the_fallback():
    assert calibrated_threshold({"default_threshold": 0.95}, verified=False) == 0.95
    assert calibrated_threshold({}, verified=True) == FALLBACK
    assert calibrated_threshold(None, verified=False) == FALLBACK


@pytest.mark.parametrize("bad", ["x", None, 0, -1, 1.5, [0.5]])
def test_unusable_values_are_ignored(bad):
    assert calibrated_threshold({"default_threshold": bad}) == FALLBACK


def test_the_window_and_the_cli_agree(tiny_embedder):
    from duplicalt.gui.scan.worker import model_threshold

    for verified in (True, False):
        assert model_threshold(tiny_embedder, verified) == calibrated_threshold(
            tiny_embedder.meta, verified)
