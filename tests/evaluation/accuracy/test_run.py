from duplicalt.evaluation.accuracy.dataset import Scores
from duplicalt.evaluation.accuracy.run import calibrate


def scores(precision, macro):
    return Scores(precision, macro, 0.0, macro, 2 * precision * macro / (precision + macro),
                  {}, 10, 0)


def test_calibrate_prefers_recall_then_the_higher_threshold():
    rows = [(0.5, scores(0.90, 1.0)), (0.6, scores(0.98, 0.95)), (0.7, scores(0.99, 0.95)),
            (0.8, scores(1.0, 0.80))]
    assert calibrate(rows)[0] == 0.7  # 0.5 misses the precision target; 0.6/0.7 tie on recall


def test_calibrate_falls_back_on_macro_f1():
    rows = [(0.5, scores(0.5, 1.0)), (0.6, scores(0.8, 0.9)), (0.7, scores(0.9, 0.5))]
    assert calibrate(rows)[0] == 0.6


def test_evaluate_without_the_benchmark_photos_is_a_clear_error(tmp_path, capsys):
    from duplicalt.cli.main import main

    assert main(["evaluate", "--originals", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "benchmark photos not found" in err and "DUPLICALT_DATA" in err
