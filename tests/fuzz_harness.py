"""Bad-input fuzzing of every exported function (issue: "bad input everywhere gets a clear error").

Run as a script, one topic per process, so that a call that hangs inside C code cannot hang the
test run (the parent enforces a wall-clock limit and reports the call that was running)::

    python tests/fuzz_harness.py <topic> <report.json>

Each topic provides ``tests/<topic>/fuzz_cases.py`` with

``CASES``
    ``{function name: make(rng) -> dict of keyword arguments}``: one *valid* call per exported
    callable. The harness perturbs one argument at a time.
``EXEMPT``
    ``{name: reason}`` for exported names that take no user input worth fuzzing (result
    containers, constants).
``OPEN`` (optional)
    ``{(function, argument, bad class): reason}``: known defects not fixed yet. They are still
    run and reported, do not fail the test, and must be removed once they are fixed (a listed
    case that comes out ``ok`` fails the test as stale).
``ALLOW``
    ``{function name: {argument: {bad-class, ...}}}``: perturbations that are *valid* for that
    argument (a shift that may be negative, a penalty that may be zero), with the reason in a
    comment next to them.

For each argument of a valid call, the harness derives the bad inputs of its kind:

- float arrays: ``nan``, ``inf``, ``complex``, ``ndim+1``, ``empty``, ``torch`` (a torch tensor:
  it must either give the numpy result or be refused clearly);
- integer arrays (labels, indices): ``out_of_range`` (max + 7), ``negative``, ``non_integer``;
- integers: ``negative``, ``zero``, ``huge`` (10**12: must be refused *before* allocating),
  ``non_integer`` (2.5);
- floats: ``nan``, ``inf``, ``negative``;
- strings: ``unknown``.

A bad call passes when it raises ``ValueError`` or ``TypeError`` whose message names the argument,
within :data:`TIME_LIMIT` seconds, leaving the inputs unmodified. Outcomes: ``ok``, ``accepted``
(no error: an invalid value accepted or a silently wrong/NaN result), ``obscure`` (another
exception, or a message that does not name the argument), ``hang`` (over the time limit),
``mutated`` (an input array changed), ``invalid_case`` (the *valid* call itself failed).
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import inspect
import json
import signal
import sys
import time
from pathlib import Path

import numpy as np

TIME_LIMIT = 2.0
MEMORY_LIMIT = 4 * 2**30  # bytes of heap for the whole fuzz process
ROOT = Path(__file__).resolve().parents[1]


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that library code's ``except Exception`` misses it."""


def _alarm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise _Timeout()


def load_cases(topic: str):
    """The ``fuzz_cases`` module of ``topic`` (loaded by path: tests/ is not a package)."""
    path = ROOT / "tests" / topic / "fuzz_cases.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"fuzz_cases_{topic}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exported_callables(topic: str) -> dict[str, object]:
    """Every callable in ``analysis.<topic>.__all__``."""
    module = importlib.import_module(f"analysis.{topic}")
    return {n: getattr(module, n) for n in module.__all__ if callable(getattr(module, n))}


#: Arguments that take a seed or a Generator: every non-negative integer is a valid seed.
SEED_ARGUMENTS = ("seed", "rng", "random_state")


def bad_values(value, arg: str = ""):
    """``[(bad class, bad value)]`` for one valid argument value."""
    out = []
    if arg in SEED_ARGUMENTS and isinstance(value, (int, np.integer)):
        return [("negative", -3), ("non_integer", 2.5)]
    if isinstance(value, np.ndarray) and value.size > 0:
        if np.issubdtype(value.dtype, np.floating):
            for cls, fill in (("nan", np.nan), ("inf", np.inf)):
                bad = value.copy()
                bad.flat[0] = fill
                out.append((cls, bad))
            bad = value.astype(complex)
            bad.flat[0] += 0.5j
            out.append(("complex", bad))
            out.append(("ndim+1", value[None, ...]))
            out.append(("empty", value[:0]))
            import torch

            out.append(("torch", torch.as_tensor(value)))
        elif np.issubdtype(value.dtype, np.integer):
            bad = value.copy()
            bad.flat[0] = int(value.max()) + 7
            out.append(("out_of_range", bad))
            bad = value.copy()
            bad.flat[0] = -1
            out.append(("negative", bad))
            out.append(("non_integer", value.astype(float) + 0.5))
    elif isinstance(value, (bool, np.bool_)):
        pass
    elif isinstance(value, (int, np.integer)):
        out += [("negative", -3), ("zero", 0), ("huge", 10**12), ("non_integer", 2.5)]
    elif isinstance(value, (float, np.floating)):
        out += [("nan", float("nan")), ("inf", float("inf")), ("negative", -abs(float(value)) - 1.0)]
    elif isinstance(value, str):
        out.append(("unknown", "no-such-option"))
    return out


def _snapshot(kwargs):
    return {k: (v.copy() if isinstance(v, np.ndarray) else None) for k, v in kwargs.items()}


def _unchanged(kwargs, snap):
    for k, before in snap.items():
        if before is not None and not np.array_equal(kwargs[k], before, equal_nan=True):
            return False
    return True


def _call(fn, kwargs, limit):
    """Run ``fn(**kwargs)`` under the alarm; return (exception or None, result, seconds)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        result = fn(**kwargs)
        return None, result, time.perf_counter() - start
    except _Timeout:
        return _Timeout(), None, time.perf_counter() - start
    except BaseException as exc:  # noqa: BLE001 - classified by the caller
        if isinstance(exc, KeyboardInterrupt):
            raise
        return exc, None, time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _numbers(x, key: str = ""):
    """The numbers in a result, flattened (dataclasses and dicts by field; timings skipped)."""
    import dataclasses

    if any(t in key for t in ("time", "seconds", "elapsed")):
        return []
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return [n for f in dataclasses.fields(x) for n in _numbers(getattr(x, f.name), f.name)]
    if isinstance(x, dict):
        return [n for k, v in sorted(x.items(), key=lambda kv: str(kv[0])) for n in _numbers(v, str(k))]
    if isinstance(x, (list, tuple)):
        return [n for v in x for n in _numbers(v, key)]
    if isinstance(x, (np.ndarray, np.generic, int, float, complex, bool)):
        arr = np.asarray(x)
        if arr.dtype.kind in "biufc":
            return list(arr.ravel().astype(complex))
    return []


def _same_result(a, b) -> bool:
    """Whether a torch-input result equals the numpy-input result (same numbers, to round-off)."""
    na, nb = _numbers(a), _numbers(b)
    # a NaN that both routes return (e.g. "not fitted") is the same result
    return len(na) == len(nb) and (
        not na or bool(np.allclose(na, nb, rtol=1e-9, atol=1e-12, equal_nan=True)))


def fuzz_topic(topic: str, log=sys.stderr) -> dict:
    """Fuzz every exported callable of ``topic``; return the report (see the module docstring)."""
    cases_mod = load_cases(topic)
    functions = exported_callables(topic)
    cases = getattr(cases_mod, "CASES", {}) if cases_mod else {}
    exempt = getattr(cases_mod, "EXEMPT", {}) if cases_mod else {}
    allow = getattr(cases_mod, "ALLOW", {}) if cases_mod else {}
    open_ = getattr(cases_mod, "OPEN", {}) if cases_mod else {}
    report = {"topic": topic, "uncovered": sorted(set(functions) - set(cases) - set(exempt)),
              "unknown_cases": sorted((set(cases) | set(exempt)) - set(functions)),
              "results": []}
    for name, make in cases.items():
        if name not in functions:
            continue
        fn = functions[name]
        valid = make(np.random.default_rng(0))
        print(f"[fuzz] {topic}.{name} valid call", file=log, flush=True)
        exc, base_result, _ = _call(fn, copy.copy(valid), 10 * TIME_LIMIT)
        if exc is not None:
            report["results"].append({"function": name, "argument": None, "bad": "valid_call",
                                      "outcome": "invalid_case",
                                      "message": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        params = inspect.signature(fn).parameters
        for arg, value in valid.items():
            if arg not in params:
                continue
            for bad_class, bad in bad_values(value, arg):
                if bad_class in allow.get(name, {}).get(arg, set()):
                    continue
                kwargs = dict(valid)
                kwargs[arg] = bad
                snap = _snapshot(kwargs)
                print(f"[fuzz] {topic}.{name}({arg}={bad_class})", file=log, flush=True)
                exc, result, seconds = _call(fn, kwargs, TIME_LIMIT)
                message = "" if exc is None else f"{type(exc).__name__}: {exc}"
                if isinstance(exc, _Timeout):
                    outcome = "hang"
                elif not _unchanged(kwargs, snap):
                    outcome = "mutated"
                elif exc is None:
                    outcome = ("ok" if bad_class == "torch" and _same_result(result, base_result)
                               else "accepted")
                elif isinstance(exc, (ValueError, TypeError)) and arg in str(exc):
                    outcome = "ok"
                else:
                    outcome = "obscure"
                known = open_.get((name, arg, bad_class))
                report["results"].append({"function": name, "argument": arg, "bad": bad_class,
                                          "outcome": outcome, "seconds": round(seconds, 3),
                                          "message": message[:300], "open": known})
    return report


def summarise(report: dict) -> dict[str, int]:
    """Counts of outcomes in a report."""
    counts: dict[str, int] = {}
    for r in report["results"]:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    return counts


def main(argv: list[str]) -> int:
    topic, out = argv[1], Path(argv[2])
    import torch

    torch.set_num_threads(1)
    # A huge size that is attempted instead of refused must not take the machine's memory with
    # it: cap the heap (Linux counts mmap'd arrays in RLIMIT_DATA), so the call fails with a
    # MemoryError, which is classified like any other unclear error.
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    report = fuzz_topic(topic)
    out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv))
