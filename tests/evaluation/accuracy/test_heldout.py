"""The test-only edit families: deterministic, what they claim, and never seen
by training (the trainer cannot import them, directly or through anything)."""
import ast
import random
from pathlib import Path

import grimp
import pytest

import duplicalt
from duplicalt.evaluation.accuracy import heldout
from duplicalt.evaluation.accuracy.edits import FAMILIES
from duplicalt.evaluation.accuracy.heldout import HELD_OUT, crop_keep
from tests.sample_photos import make_photo

PACKAGE = Path(duplicalt.__file__).parent
TRAINING = PACKAGE / "ml" / "training"


def test_at_least_eight_held_out_families_apart_from_the_everyday_ones():
    assert len(HELD_OUT) >= 8
    assert not set(HELD_OUT) & set(FAMILIES)


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_each_family_is_deterministic_and_makes_an_rgb_photo(name):
    img = make_photo(3, (240, 180))
    fillers = [make_photo(k, (200, 150)) for k in (10, 11, 12, 13)]
    a = HELD_OUT[name](img, random.Random(5), fillers)
    b = HELD_OUT[name](img, random.Random(5), fillers)
    assert a.mode == "RGB" and min(a.size) >= 40
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != img.tobytes()  # it did edit the photo


def test_crops_keep_thirty_to_fifty_percent_of_the_area():
    img = make_photo(1, (400, 300))
    for seed in range(30):
        out = crop_keep(img, random.Random(seed))
        assert 0.28 <= out.width * out.height / (400 * 300) <= 0.51


def test_the_trainer_cannot_reach_a_held_out_edit():
    """Fails if anything under duplicalt.ml.training imports the held-out edits
    (or anything else of the evaluation), directly or through a chain."""
    graph = grimp.build_graph("duplicalt")
    training = {m for m in graph.modules if m.startswith("duplicalt.ml.training")}
    assert "duplicalt.ml.training.trainer" in training
    for module in training:
        assert not graph.chain_exists(importer=module, imported=heldout.__name__, as_packages=False), module
        assert not any(m.startswith("duplicalt.evaluation")
                       for m in graph.find_modules_directly_imported_by(module)), module


def test_no_held_out_edit_is_defined_or_named_in_the_training_code():
    names = {fn.__name__ for fn in HELD_OUT.values()} | {"crop_keep"}
    for path in TRAINING.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                    for a in n.names} | {n.module or "" for n in ast.walk(tree)
                                         if isinstance(n, ast.ImportFrom)}
        assert not any("heldout" in m or "evaluation" in m for m in imported), path.name
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not names & defined, (path.name, names & defined)


def test_the_held_out_module_borrows_nothing_from_training():
    tree = ast.parse(Path(heldout.__file__).read_text())
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("duplicalt") or m == "torch" for m in modules), modules
