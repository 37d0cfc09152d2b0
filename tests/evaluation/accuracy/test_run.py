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


def test_options_and_nearest_swept_row():
    import pytest

    from duplicalt.evaluation.accuracy.run import at, parse_options
    assert parse_options(["tta=flip", "trim_borders = true"]) == {"tta": "flip", "trim_borders": "true"}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_options(["tta"])
    rows = [(0.5, scores(0.9, 1.0)), (0.6, scores(0.99, 0.9))]
    assert at(rows, 0.58) is rows[1][1] and at(rows, 0.1) is rows[0][1]


def test_table_shows_families_a_column_lacks_as_nan():
    from duplicalt.evaluation.accuracy.run import table
    a = Scores(1.0, 1.0, 1.0, 1.0, 1.0, {"hflip": 1.0, "ho_collage": 0.5}, 3, 0)
    b = Scores(1.0, 1.0, 1.0, 1.0, 1.0, {"hflip": 0.0}, 1, 0)
    text = table({"ours": a, "peer": b})
    line = next(l for l in text.splitlines() if "ho_collage" in l)
    assert "0.500" in line and "nan" in line
