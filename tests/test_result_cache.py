"""The resumable result cache: keys, atomic entries, damaged entries reported by name."""

import numpy as np
import pytest

from analysis._core.result_cache import (
    CacheEntryError,
    ResultCache,
    default_result_cache,
    result_key,
    source_digest,
)


def test_keys_are_canonical_and_separate_types_shapes_and_values():
    a = np.arange(6.0)
    k = result_key("x", 1, 1.5, None, a, (True, "s"))
    assert k == result_key("x", 1, 1.5, None, a.copy(), (True, "s"))
    different = [
        result_key("x", 1, 1.5, None, a.reshape(2, 3), (True, "s")),  # shape
        result_key("x", 1, 1.5, None, a.astype(np.float32), (True, "s")),  # dtype
        result_key("x", 1, 1.5 + 2**-40, None, a, (True, "s")),  # the last bits of a float
        result_key("x", 1.0, 1.5, None, a, (True, "s")),  # int vs float
        result_key("x", 1, 1.5, None, a, (True, "t")),
        result_key("x1", 1.5, None, a, (True, "s")),  # no ambiguity from concatenation
        result_key("x", (1, 1.5), None, a, (True, "s")),  # nesting matters
    ]
    assert len({k, *different}) == len(different) + 1
    with pytest.raises(TypeError, match="parts"):
        result_key({"a": 1})


def test_put_get_roundtrip_is_exact_and_atomic(tmp_path):
    cache = ResultCache(tmp_path / "c")
    assert len(cache) == 0 and cache.get(result_key("a")) is None
    value = np.array([np.pi, -0.0, 1e-300, np.inf])
    cache.put(result_key("a"), value)
    got = cache.get(result_key("a"))
    assert got.dtype == value.dtype and got.tobytes() == value.tobytes()
    assert len(cache) == 1 and not list((tmp_path / "c").glob("*.tmp"))


def test_a_damaged_entry_is_reported_by_its_file_name(tmp_path):
    cache = ResultCache(tmp_path)
    key = result_key("b")
    cache.put(key, np.ones(3))
    path = tmp_path / f"{key}.npy"
    path.write_bytes(path.read_bytes()[:20])  # truncated outside the library
    with pytest.raises(CacheEntryError, match=path.name):
        cache.get(key)


def test_bad_arguments_are_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        ResultCache(3)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="directory"):
        ResultCache(tmp_path / "f")
    cache = ResultCache(tmp_path / "d")
    with pytest.raises(ValueError, match="key"):
        cache.get("../../etc/passwd")
    with pytest.raises(TypeError, match="value"):
        cache.put(result_key("c"), np.array([object()]))
    assert not (tmp_path / "d").exists()  # nothing created by refused calls
    with pytest.raises(TypeError, match="module"):
        source_digest(object())


def test_default_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "r"))
    assert default_result_cache().directory == tmp_path / "r"
    monkeypatch.delenv("ANALYSIS_CACHE_DIR")
    monkeypatch.setenv("ANALYSIS_DATA_DIR", str(tmp_path / "data"))
    assert default_result_cache().directory == tmp_path / "data" / "results"


def test_the_module_examples_run():
    import doctest

    import analysis._core.result_cache as module

    failed, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted >= 5 and failed == 0
