"""Tests of the shared data layer (analysis._core.datasets) and its CLI (data_app).

All offline: the cache is a tmp folder (ANALYSIS_DATA_DIR) and ANALYSIS_OFFLINE=1 forbids every
network attempt. The real MovieLens-100k file is only read when it is already cached.
"""

import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from typer.testing import CliRunner

from analysis._core import datasets as ds
from analysis.figures.data_cli import data_app

runner = CliRunner()
ZSL = ("awa2", "cub", "sun", "apy")
# Where a previous `analysis data fetch movielens100k` put the real file (read before any
# monkeypatching; only used when present).
REAL_CACHE = Path(os.environ.get(ds.CACHE_ENV) or Path.home() / ".cache" / "analysis-workbench")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(ds.CACHE_ENV, str(folder))
    monkeypatch.setenv(ds.OFFLINE_ENV, "1")
    return folder


def files_under(folder: Path) -> list[Path]:
    """Every file and folder below ``folder`` (nothing may be left by a failed load)."""
    return sorted(folder.rglob("*")) if folder.exists() else []


def shipped_copy(tmp_path, name) -> Path:
    dest = tmp_path / name
    shutil.copytree(ds.SHIPPED_DIR / name, dest)
    return dest


def write_udata(path: Path, rows) -> Path:
    path.write_text("".join("\t".join(str(v) for v in r) + "\n" for r in rows))
    return path


FAKE_UDATA = [(u % 7 + 1, 10 + u, u % 5 + 1, 881250949 + u) for u in range(20)]


# ----------------------------------------------------------------------------- registry


def test_registry_lists_every_dataset_with_citation_license_source_and_checksum():
    assert ds.list_datasets() == sorted(
        ["apy", "awa2", "cub", "gisette", "movielens100k", "news20", "rcv1", "sun"]
    )
    assert ds.list_datasets("zsl") == ["apy", "awa2", "cub", "sun"]
    for name in ds.list_datasets():
        info = ds.dataset_info(name)
        assert info.citation and info.license and info.source and info.expected and info.obtain
        d = info.as_dict()
        assert {"name", "topic", "source", "sha256", "license"} <= set(d)
        if info.shipped or name == "movielens100k":
            assert all(f.sha256 and len(f.sha256) == 64 for f in info.files)
    assert not ds.dataset_info("movielens100k").redistributable


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ds.UnknownDatasetError, match="did you mean movielens100k"):
        ds.dataset_info("movielens")


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(ds.CACHE_ENV, str(tmp_path / "x"))
    assert ds.cache_dir() == tmp_path / "x"
    monkeypatch.delenv(ds.CACHE_ENV)
    assert ds.cache_dir() == Path.home() / ".cache" / "analysis-workbench"


# ----------------------------------------------------------------------------- shipped ZSL files


@pytest.mark.parametrize("name", ZSL)
def test_shipped_files_match_their_checksums_and_provenance_exists(name):
    folder = ds.dataset_path(name)
    assert folder == ds.SHIPPED_DIR / name
    for f in ds.dataset_info(name).files:
        assert ds.sha256_file(folder / f.name) == f.sha256
    text = (folder / "PROVENANCE.md").read_text()
    assert "SHA-256" in text and "Verification" in text
    assert ds.fetch(name) == folder  # shipped: fetch only verifies


@pytest.mark.parametrize(
    ("name", "shape", "n_unseen", "scale"),
    [("awa2", (50, 85), 10, 100.0), ("cub", (200, 312), 50, 100.0),
     ("sun", (717, 102), 72, 1.0), ("apy", (32, 64), 12, 1.0)],
)
def test_class_attributes_have_the_published_shape_range_and_split(name, shape, n_unseen, scale):
    ca = ds.load_class_attributes(name)
    assert ca.matrix.shape == shape and ca.scale == scale
    assert len(set(ca.class_names)) == shape[0] and len(set(ca.attribute_names)) == shape[1]
    assert len(set(ca.unseen)) == n_unseen and set(ca.unseen) <= set(ca.class_names)
    ok = ca.matrix[~ca.missing]
    assert ok.min() >= 0 and ok.max() <= scale and np.isfinite(ca.matrix).all()
    assert ca.matrix.max() == scale  # the scale is attained: percentages reach 100, means reach 1


def test_awa2_missing_entries_are_the_four_antelope_colours():
    ca = ds.load_class_attributes("awa2")
    idx = np.argwhere(ca.missing)
    assert {ca.class_names[j] for j, _ in idx} == {"antelope"}
    assert [ca.attribute_names[i] for _, i in idx] == ["black", "white", "blue", "brown"]
    assert (ca.matrix[ca.missing] == -1).all()


def test_a_changed_or_deleted_shipped_file_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "_data"
    shutil.copytree(ds.SHIPPED_DIR / "apy", root / "apy")
    (root / "apy" / "testclasses.txt").write_text("cow\n" * 1)
    monkeypatch.setattr(ds, "SHIPPED_DIR", root)
    with pytest.raises(ds.DatasetChecksumError, match=r"testclasses\.txt: SHA-256 mismatch"):
        ds.load_class_attributes("apy")
    (root / "apy" / "attributes.txt").unlink()
    with pytest.raises(ds.DatasetNotAvailableError, match=r"attributes\.txt is missing.*git checkout"):
        ds.dataset_path("apy")
    assert not ds.is_available("apy")


# ----------------------------------------------------------------------------- bad ZSL input


def _edit_line(path: Path, lineno: int, new: str | None) -> None:
    lines = path.read_text().splitlines()
    if new is None:
        del lines[lineno - 1]
    else:
        lines[lineno - 1] = new
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda v: (5, " ".join(v[:-1])), r"line 5: expected 312 values \(attributes\), got 311"),
        (lambda v: (3, " ".join(["nan"] + v[1:])), r"line 3, column 1: nan \(NaN/inf\)"),
        (lambda v: (7, " ".join(v[:2] + ["150.0"] + v[3:])), r"line 7, column 3: 150.0 is outside"),
        (lambda v: (9, " ".join(["x"] + v[1:])), r"line 9: not a number"),
        (lambda v: (4, None), r"expected 200 lines \(classes\), got 199"),
    ],
)
def test_malformed_cub_matrix_names_the_file_and_line(tmp_path, edit, match):
    folder = shipped_copy(tmp_path, "cub")
    f = folder / "class_attribute_labels_continuous.txt"
    first = f.read_text().splitlines()[0].split()
    lineno, new = edit(first)
    _edit_line(f, lineno, new)
    with pytest.raises(ds.DatasetFormatError, match=match) as err:
        ds.load_class_attributes("cub", path=folder)
    assert str(f) in str(err.value)


def test_duplicate_class_name_is_refused_with_its_line(tmp_path):
    folder = shipped_copy(tmp_path, "cub")
    _edit_line(folder / "classes.txt", 3, "3 001.Black_footed_Albatross")
    with pytest.raises(ds.DatasetFormatError, match=r"classes\.txt: line 3: duplicate class name "
                       r"'001\.Black_footed_Albatross' \(first on line 1\)"):
        ds.load_class_attributes("cub", path=folder)


def test_unseen_class_missing_from_the_matrix_is_named(tmp_path):
    folder = shipped_copy(tmp_path, "awa2")
    _edit_line(folder / "testclasses.txt", 4, "sael")
    with pytest.raises(ds.DatasetFormatError, match=r"testclasses\.txt: line 4: unseen class 'sael' "
                       r"is not a class of the matrix \(closest: 'seal'\)"):
        ds.load_class_attributes("awa2", path=folder)


def test_wrong_number_of_unseen_classes_is_refused(tmp_path):
    folder = shipped_copy(tmp_path, "apy")
    _edit_line(folder / "testclasses.txt", 12, None)
    with pytest.raises(ds.DatasetFormatError, match="expected 12 unseen classes, got 11"):
        ds.load_class_attributes("apy", path=folder)


def test_corrupt_or_wrong_mat_files_are_refused(tmp_path):
    folder = shipped_copy(tmp_path, "apy")
    mat = folder / "att_splits.mat"
    good = scipy.io.loadmat(mat)
    mat.write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    with pytest.raises(ds.DatasetFormatError, match=r"att_splits\.mat: not a readable MATLAB file"):
        ds.load_class_attributes("apy", path=folder)
    att = good["original_att"].copy()
    att[4, 2] = np.nan
    scipy.io.savemat(mat, {"original_att": att, "allclasses_names": good["allclasses_names"]})
    with pytest.raises(ds.DatasetFormatError, match=r"class 3, column 5: nan"):
        ds.load_class_attributes("apy", path=folder)
    att[4, 2] = 1.5
    scipy.io.savemat(mat, {"original_att": att, "allclasses_names": good["allclasses_names"]})
    with pytest.raises(ds.DatasetFormatError, match=r"class 3, column 5: 1.5 is outside \[0.0, 1.0\]"):
        ds.load_class_attributes("apy", path=folder)
    scipy.io.savemat(mat, {"original_att": good["original_att"][:, :31],
                           "allclasses_names": good["allclasses_names"]})
    with pytest.raises(ds.DatasetFormatError, match=r"expected 64 x 32 .* got 64 x 31"):
        ds.load_class_attributes("apy", path=folder)
    names = good["allclasses_names"].copy()
    names[5, 0] = names[0, 0]
    scipy.io.savemat(mat, {"original_att": good["original_att"], "allclasses_names": names})
    with pytest.raises(ds.DatasetFormatError, match=r"duplicate class name 'aeroplane' \(entries 1 and 6\)"):
        ds.load_class_attributes("apy", path=folder)


def test_a_user_folder_missing_a_file_says_which(tmp_path):
    folder = shipped_copy(tmp_path, "sun")
    (folder / "attributes.txt").unlink()
    with pytest.raises(ds.DatasetNotAvailableError, match=r"attributes\.txt: file missing"):
        ds.load_class_attributes("sun", path=folder)


# ----------------------------------------------------------------------------- offline errors


def test_offline_uncached_movielens_says_where_to_put_it_and_writes_nothing(cache):
    dest = cache / "movielens100k" / "u.data"
    with pytest.raises(ds.DatasetNotAvailableError) as err:
        ds.dataset_path("movielens100k")
    msg = str(err.value)
    assert str(dest) in msg and "grouplens" in msg and "recbole==1.2.1" in msg
    with pytest.raises(ds.DatasetNotAvailableError, match="GroupLens zip: .*recbole wheel: "):
        ds.fetch("movielens100k")
    with pytest.raises(ds.DatasetNotAvailableError, match=str(dest)):
        ds.load_movielens100k()
    assert files_under(cache) == []
    assert not ds.is_available("movielens100k")


@pytest.mark.parametrize("name", ["rcv1", "gisette", "news20"])
def test_offline_uncached_libsvm_says_where_to_put_it_and_writes_nothing(cache, name):
    spec = ds.LIBSVM_SPECS[name]
    with pytest.raises(ds.DatasetNotAvailableError) as err:
        ds.fetch(name)
    msg = str(err.value)
    assert str(cache / name / spec["file"]) in msg and "libsvmtools/datasets" in msg
    with pytest.raises(ds.DatasetNotAvailableError, match=spec["file"]):
        ds.load_libsvm(name)
    assert files_under(cache) == []


# ----------------------------------------------------------------------------- atomic writes


def test_atomic_write_leaves_nothing_when_the_writer_fails(tmp_path):
    dest = tmp_path / "d" / "file.bin"

    def broken(fh):
        fh.write(b"half of it")
        raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        ds._atomic_write(dest, broken)
    assert files_under(tmp_path) == []  # not even the folder it created

    def interrupted(fh):
        fh.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ds._atomic_write(dest, interrupted)
    assert files_under(tmp_path) == []


def test_atomic_write_verifies_before_rename_and_keeps_the_old_file(tmp_path):
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"old")
    with pytest.raises(ds.DatasetChecksumError, match="SHA-256 mismatch"):
        ds._atomic_write(dest, lambda fh: fh.write(b"new"), sha256="0" * 64)
    assert dest.read_bytes() == b"old" and files_under(tmp_path) == [dest]
    import hashlib

    ds._atomic_write(dest, lambda fh: fh.write(b"new"), sha256=hashlib.sha256(b"new").hexdigest())
    assert dest.read_bytes() == b"new" and files_under(tmp_path) == [dest]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~umask


# ----------------------------------------------------------------------------- MovieLens


def test_fake_udata_fails_the_count_check_and_is_not_cached(cache, tmp_path):
    fake = write_udata(tmp_path / "u.data", FAKE_UDATA)
    with pytest.raises(ds.DatasetFormatError, match=r"u\.data: not MovieLens-100k u\.data \(ratings: "
                       r"expected 100000, got 20, users: expected 943, got 7"):
        ds.load_movielens100k(fake)
    with pytest.raises(ds.DatasetFormatError, match="not MovieLens-100k"):
        ds.add_to_cache("movielens100k", fake)
    assert files_under(cache) == []
    r = ds.read_movielens_udata(fake, check_counts=False, check_sha256=False)
    assert r.user.dtype == np.int64 and r.rating.tolist() == [row[2] for row in FAKE_UDATA]
    with pytest.raises(ds.DatasetChecksumError, match="SHA-256 mismatch"):
        ds.read_movielens_udata(fake, check_counts=False)


@pytest.mark.parametrize(
    ("bad", "match"),
    [("1\t2\t3\n", r"line 4: expected 4 tab-separated fields, got 3"),
     ("1\t2\tx\t4\n", r"line 4: not an integer"),
     ("1\t2\t7\t4\n", r"line 4: rating 7 outside 1\.\.5"),
     ("0\t2\t3\t4\n", r"line 4: user/item ids must be >= 1")],
)
def test_malformed_udata_names_the_line(tmp_path, bad, match):
    f = write_udata(tmp_path / "u.data", FAKE_UDATA[:3])
    f.write_text(f.read_text() + bad)
    with pytest.raises(ds.DatasetFormatError, match=match):
        ds.read_movielens_udata(f)


def test_recbole_inter_converts_to_udata_columns():
    text = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n196\t242\t3\t881250949\n"
    assert ds._inter_to_udata(text, source="x") == b"196\t242\t3\t881250949\n"
    with pytest.raises(ds.DatasetFormatError, match="line 1: expected header"):
        ds._inter_to_udata("user\titem\n1\t2\n", source="x")


REAL_UDATA = REAL_CACHE / "movielens100k" / "u.data"
RECBOLE_WHEEL = Path(os.environ.get("ANALYSIS_RECBOLE_WHEEL", "/nonexistent"))


@pytest.mark.skipif(not RECBOLE_WHEEL.is_file(),
                    reason="set ANALYSIS_RECBOLE_WHEEL to a downloaded recbole-1.2.1 wheel")
def test_recbole_wheel_route_rebuilds_the_grouplens_udata(cache):
    raw = ds._udata_from_recbole(RECBOLE_WHEEL)
    dest = ds._atomic_write(cache / "movielens100k" / "u.data", lambda fh: fh.write(raw),
                            sha256=ds.dataset_info("movielens100k").sha256,
                            check=ds.read_movielens_udata)
    assert len(ds.load_movielens100k(dest).user) == 100_000


@pytest.mark.skipif(not REAL_UDATA.is_file(), reason="MovieLens-100k not cached (analysis data fetch)")
def test_cached_movielens100k_has_the_published_counts(tmp_path, monkeypatch):
    r = ds.load_movielens100k(REAL_UDATA)
    assert len(r.user) == 100_000
    assert (len(np.unique(r.user)), len(np.unique(r.item))) == (943, 1682)
    assert np.bincount(r.rating)[1:].tolist() == [6110, 11370, 27145, 34174, 21201]
    assert (r.user[0], r.item[0], r.rating[0], r.timestamp[0]) == (196, 242, 3, 881250949)
    # the verified copy path: a user file is checked and copied atomically into the cache
    monkeypatch.setenv(ds.CACHE_ENV, str(tmp_path / "c"))
    monkeypatch.setenv(ds.OFFLINE_ENV, "1")
    dest = ds.add_to_cache("movielens100k", REAL_UDATA)
    assert dest == tmp_path / "c" / "movielens100k" / "u.data"
    assert ds.sha256_file(dest) == ds.dataset_info("movielens100k").sha256
    assert ds.fetch("movielens100k") == dest  # cached: verified, not downloaded
    assert ds.load_movielens100k().rating.sum() == r.rating.sum()


# ----------------------------------------------------------------------------- libsvm


def test_libsvm_reader_gives_csr_and_pm1_labels(tmp_path):
    f = tmp_path / "small.svm"
    f.write_text("+1 1:0.5 3:1\n-1 2:2\n+1 4:1.5\n")
    X, y = ds.read_libsvm_file(f)
    assert X.format == "csr" and X.shape == (3, 5) and X[0, 1] == 0.5
    assert y.tolist() == [1.0, -1.0, 1.0]
    X, y = ds.load_libsvm("gisette", path=f)
    assert X.shape == (3, 5001)
    f.write_text("1 1:0.5\n0 2:1\n")
    assert ds.read_libsvm_file(f).y.tolist() == [1.0, -1.0]


@pytest.mark.parametrize(
    ("text", "match"),
    [("1 1:0.5\n2 2:1\n3 1:1\n", r"labels \[1\.0, 2\.0, 3\.0\] cannot be mapped to \{-1, \+1\}"),
     ("1 1:0.5\n-1 2:nan\n", r"row 2: explicit NaN/inf"),
     ("1 1:0.5\n-1 garbage\n", r"not a valid libsvm file"),
     ("1 1:0.5\n-1 6000:1\n", r"not a valid libsvm file")],
)
def test_libsvm_bad_input_is_refused_with_the_file(tmp_path, text, match):
    f = tmp_path / "bad.svm"
    f.write_text(text)
    with pytest.raises(ds.DatasetFormatError, match=match) as err:
        ds.load_libsvm("gisette", path=f)
    assert str(f) in str(err.value)


def test_libsvm_add_to_cache_refuses_bad_files_and_keeps_good_ones(cache, tmp_path):
    bad = tmp_path / "bad.svm"
    bad.write_text("1 1:0.5\n-1 2:nan\n")
    with pytest.raises(ds.DatasetFormatError):
        ds.add_to_cache("rcv1", bad)
    assert files_under(cache) == []
    good = tmp_path / "good.svm"
    good.write_text("1 1:0.5\n-1 2:1\n")
    dest = ds.add_to_cache("rcv1", good)
    assert dest == cache / "rcv1" / "rcv1_train.binary.bz2"
    assert files_under(cache) == [dest.parent, dest]
    assert ds.load_libsvm("rcv1").X.shape == (2, 47_237)


# ----------------------------------------------------------------------------- CLI


def test_cli_list_json_reports_every_dataset(cache):
    result = runner.invoke(data_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)["datasets"]}
    assert set(rows) == set(ds.list_datasets())
    for r in rows.values():
        assert {"name", "topic", "available", "source", "sha256", "license"} <= set(r)
    assert all(rows[n]["available"] for n in ZSL)
    assert not rows["movielens100k"]["available"] and not rows["rcv1"]["available"]
    assert rows["awa2"]["sha256"] == ds.dataset_info("awa2").sha256
    plain = runner.invoke(data_app, ["list"])
    assert plain.exit_code == 0 and "movielens100k" in plain.output


def test_cli_path_and_fetch(cache, tmp_path):
    result = runner.invoke(data_app, ["path", "cub"])
    assert result.exit_code == 0 and result.output.strip() == str(ds.SHIPPED_DIR / "cub")
    result = runner.invoke(data_app, ["path", "movielens100k"])
    assert result.exit_code == 1 and str(cache / "movielens100k" / "u.data") in result.output
    result = runner.invoke(data_app, ["fetch", "apy"])
    assert result.exit_code == 0 and result.output.strip() == str(ds.SHIPPED_DIR / "apy")
    result = runner.invoke(data_app, ["fetch", "news20"])
    assert result.exit_code == 1 and "libsvmtools" in result.output
    fake = write_udata(tmp_path / "u.data", FAKE_UDATA)
    result = runner.invoke(data_app, ["fetch", "movielens100k", "--from", str(fake)])
    assert result.exit_code == 1 and "expected 100000, got 20" in result.output
    assert files_under(cache) == []


@pytest.mark.parametrize("command", ["path", "fetch"])
def test_cli_unknown_name_exits_2_with_a_suggestion(command):
    result = runner.invoke(data_app, [command, "movielens"])
    assert result.exit_code == 2
    assert "did you mean movielens100k" in result.output
