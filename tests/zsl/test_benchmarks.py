"""Tests of analysis.zsl.benchmarks.load_benchmark on the shipped AwA2 / CUB / SUN / aPY files."""

import shutil

import numpy as np
import pytest
from numpy.testing import assert_allclose

from analysis._core import datasets as ds
from analysis.zsl.benchmarks import BENCHMARKS, benchmark_provenance, load_benchmark

SHAPES = {"awa2": (50, 85, 10), "cub": (200, 312, 50), "sun": (717, 102, 72), "apy": (32, 64, 12)}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_shapes_dtype_range_and_split(name):
    k, n, k_unseen = SHAPES[name]
    M_all, classes_all, attrs = load_benchmark(name, "all")
    M, classes, attrs_u = load_benchmark(name)  # split="unseen" is the default
    assert M_all.shape == (k, n) and M.shape == (k_unseen, n)
    assert M.dtype == np.float64 and M.flags.writeable
    assert M_all.min() >= 0.0 and M_all.max() <= 1.0 and np.isfinite(M_all).all()
    assert len(classes_all) == len(set(classes_all)) == k and len(attrs) == len(set(attrs)) == n
    assert attrs_u == attrs and len(set(classes)) == k_unseen and set(classes) <= set(classes_all)
    rows = [classes_all.index(c) for c in classes]
    assert_allclose(M, M_all[rows], rtol=0, atol=0)  # exact: the unseen rows of the same matrix


def test_scaling_is_the_documented_one():
    raw = ds.load_class_attributes("cub").matrix
    assert_allclose(load_benchmark("cub", "all")[0], raw / 100.0, rtol=0, atol=0)
    raw = ds.load_class_attributes("sun").matrix
    assert_allclose(load_benchmark("sun", "all")[0], raw, rtol=0, atol=0)  # class means: unscaled
    M, classes, attrs = load_benchmark("awa2", "all")
    assert M[classes.index("zebra"), attrs.index("stripes")] == pytest.approx(0.9886, abs=1e-12)
    assert M[classes.index("dolphin"), attrs.index("water")] == pytest.approx(0.714, abs=1e-12)


def test_published_unseen_classes():
    assert set(load_benchmark("awa2")[1]) == {
        "sheep", "dolphin", "bat", "seal", "blue+whale", "rat", "horse", "walrus", "giraffe", "bobcat"
    }
    assert set(load_benchmark("apy")[1]) == {
        "cow", "horse", "motorbike", "person", "pottedplant", "sheep", "train", "tvmonitor",
        "donkey", "goat", "jetski", "statue",
    }
    assert load_benchmark("cub")[1][0] == "043.Yellow_bellied_Flycatcher"


def test_awa2_missing_entries_zeroed_or_refused():
    M, classes, attrs = load_benchmark("awa2", "all")
    a = classes.index("antelope")
    assert M[a, [attrs.index(x) for x in ("black", "white", "blue", "brown")]].tolist() == [0.0] * 4
    with pytest.raises(ValueError, match=r"4 entries are marked missing .* class 'antelope', "
                       r"attribute 'black'"):
        load_benchmark("awa2", "all", missing="raise")
    # antelope is seen: the unseen split has no missing entries and loads under either policy
    assert_allclose(load_benchmark("awa2", missing="raise")[0], load_benchmark("awa2")[0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"name": "awa"}, r"name: expected one of \('awa2', 'cub', 'sun', 'apy'\), got 'awa'"),
     ({"name": "cub", "split": "test"}, r"split: expected one of \('unseen', 'all'\)"),
     ({"name": "cub", "missing": "mean"}, r"missing: expected one of")],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_benchmark(**kwargs)


def test_user_folder_with_an_unknown_unseen_class_is_refused(tmp_path):
    folder = tmp_path / "sun"
    shutil.copytree(ds.SHIPPED_DIR / "sun", folder)
    lines = (folder / "testclasses.txt").read_text().splitlines()
    lines[9] = "no_such_scene"
    (folder / "testclasses.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"testclasses\.txt: line 10: unseen class 'no_such_scene'"):
        load_benchmark("sun", path=folder)


def test_provenance_record_for_figures():
    rec = benchmark_provenance("cub")
    assert rec == {"name": "cub", "sha256": ds.dataset_info("cub").sha256,
                   "source": ds.dataset_info("cub").source}


def test_real_matrix_feeds_the_bound():
    from analysis.zsl import worst_case_lower_bound

    M, _, _ = load_benchmark("awa2")
    res = worst_case_lower_bound(M[:, :4], method="full")
    assert 0.0 < res.Q <= 1.0
