"""Bad input to every exported function gets a clear error (see tests/fuzz_harness.py).

Each topic's fuzz runs in its own process with a wall-clock limit, so a call that hangs inside C
code fails this test (naming the call) instead of hanging the suite.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import TOPICS

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "fuzz_harness.py"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_exported_function_refuses_bad_input_clearly(topic, tmp_path):
    if not (ROOT / "tests" / topic / "fuzz_cases.py").exists():
        pytest.skip(f"{topic}: no tests/{topic}/fuzz_cases.py yet (bad-input coverage still open)")
    out = tmp_path / "report.json"
    try:
        proc = subprocess.run([sys.executable, str(HARNESS), topic, str(out)], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as exc:
        calls = [ln for ln in (exc.stderr or b"").decode(errors="replace").splitlines()
                 if ln.startswith("[fuzz]")]
        pytest.fail(f"{topic}: the fuzz run did not finish; last call started: {calls[-1:]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert not report["uncovered"], (
        f"{topic}: exported callables with neither a case nor an exemption: {report['uncovered']}")
    assert not report["unknown_cases"], f"{topic}: cases for names not exported: {report['unknown_cases']}"
    stale = [r for r in report["results"] if r.get("open") and r["outcome"] == "ok"]
    assert not stale, f"{topic}: OPEN entries that are fixed now (remove them): {stale}"
    known = [r for r in report["results"] if r.get("open") and r["outcome"] != "ok"]
    if known:
        import warnings

        warnings.warn(f"{topic}: {len(known)} known bad-input defects still open: "
                      + "; ".join(f"{r['function']}({r['argument']}={r['bad']}): {r['open']}"
                                  for r in known[:10]), stacklevel=1)
    bad = [r for r in report["results"] if r["outcome"] != "ok" and not r.get("open")]
    lines = [f"{r['outcome']:>12}  {r['function']}({r['argument']}={r['bad']}): {r['message'][:160]}"
             for r in bad]
    assert not bad, f"{topic}: {len(bad)} of {len(report['results'])} bad calls mishandled:\n" + "\n".join(lines)


def test_the_harness_classifies_each_outcome(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import fuzz_harness as fh
    finally:
        sys.path.pop(0)
    import numpy as np

    def good(x):
        if not np.all(np.isfinite(np.asarray(x, dtype=float))):
            raise ValueError("x: expected finite values")
        return float(np.sum(x))

    def vague(x):
        raise ValueError("something went wrong")

    def mutates(x):
        x[...] = 0.0
        raise ValueError("x: bad")

    def sleeps(x):
        import time

        time.sleep(5)

    cases = [(good, "ok", None), (good, "accepted", "ndim+1"), (vague, "obscure", None),
             (mutates, "mutated", None), (sleeps, "hang", None)]
    for fn, want, bad_class in cases:
        bad = dict(fh.bad_values(np.ones(3)))[bad_class or "nan"]
        exc, result, seconds = fh._call(fn, {"x": bad}, 0.5)
        if want == "hang":
            assert isinstance(exc, fh._Timeout) and seconds < 2
        elif want == "mutated":
            assert not np.all(np.isnan(bad) | (bad == 1.0))
        elif want == "ok":
            assert isinstance(exc, ValueError) and "x" in str(exc)
        elif want == "accepted":
            assert exc is None
        else:
            assert "x" not in str(exc)
