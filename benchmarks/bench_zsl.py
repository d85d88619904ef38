"""Benchmark: the full LP vs column generation (brute-force, MILP, class-subset pricing) for Q(M).

k = 10 AwA-like classes, n in {8, 10, 12, 15, 20, 40, 85} attributes. Prints CPU seconds per
method for the current solver and for the solver before the column-generation speed-ups
(``--old-commit``, loaded from git; up to ``--old-max-n`` it is re-run here, beyond that its
numbers are read from the benchmark record committed with it), the speed-ups, the certified
interval when a method stops on its time budget, and the spread of Q across every run (old and
new) that finished exactly. Seconds are CPU seconds of this process (``time.process_time``,
HiGHS threads included): on a shared machine wall-clock time mostly measures the other jobs;
wall-clock seconds are recorded too. ``--record`` writes ``analysis/zsl/benchmark_record.json``
(shown by the ``zsl_solver_cost`` figure). Not run by the tests.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py [--ns 8,10,12] [--budget 600] [--record]
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py --real awa2,apy,sun,cub \
        [--real-cpu 60] [--checkpoint-dir build/zsl] [--record-real]
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py --real sun cub [--route certify] \
        [--record-real]

``--route auto`` (the default) solves AwA2 and aPY by column generation (exact) and certifies
SUN and CUB (``k (n + 1) > 2000`` master rows) by the stored certificates of
:mod:`analysis.zsl.certify` (:func:`analysis.zsl.certified_interval`): an upper end from the
union of per-group adversaries (SUN) or the law of a 2-round column-generation master (CUB), a
lower end from the star relaxation; ``--record-real`` writes them to
``analysis/zsl/certificates/`` (re-checked by ``tests/zsl/test_certify.py``). ``--ends upper``
recomputes one end only; ``--resolve-stored`` re-solves the master with all classes on the
support of the stored upper law, with ``--group-size`` joined by this run's grouped law (SUN:
0.4052 -> 0.3379 in 65 CPU s, then with groups of 8 at 10 CPU s each 0.3175 in 59 + 112 s;
CUB with groups of 5 at 12 CPU s each: 0.8368 -> 0.8007 in 122 + 260 CPU s)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py --real cub --route certify \
        --ends upper --record-real
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py --real sun --route certify \
        --ends upper --resolve-stored --record-real
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py --real cub --route certify \
        --ends upper --resolve-stored --group-size 5 --upper-cpu 12 --record-real

``--route tree`` recomputes the lower end only, from a greedily grown decision tree
(:func:`analysis.zsl.grow_partition_tree`: the leaf LP's dual point, its ``rho`` bounded over
the tree's cells), printing the certified lower end per round against CPU seconds; with
``--record-real`` a better end is stored as ``analysis/zsl/certificates/NAME_lower_tree.npz``
and becomes the record's lower end (the star certificate stays in its file, recorded under
``lower_star``)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py --real sun --route tree \
        --tree-cpu 900 --heuristic gain --split-fraction 0.5 --record-real
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_zsl.py --real cub --route tree \
        --tree-cpu 600 --heuristic gain --split-fraction 0.5 --record-real

Recorded (one thread, CPU s of this process, shared 2-core machine):

* SUN 72 x 102, lower end 0.149074 (star, 180 CPU s) -> 0.156567 (4722 leaves, depth 31,
  928 CPU s, peak RSS 1.4 GB); past the star end at 56 CPU s (1206 leaves, 0.149537), then
  0.150 at 108 s, 0.1532 at 315 s, 0.1551 at 639 s; interval [0.1566, 0.3175], width 0.1609
* CUB 50 x 312, lower end 0.304257 (star, 152 CPU s) -> 0.335184 (4169 leaves, depth 28,
  704 CPU s, peak RSS 0.96 GB); past the star end at 0.6 CPU s (82 leaves, 0.307835), then
  0.3202 at 3.9 s, 0.3282 at 120 s, 0.3302 at 279 s; interval [0.3352, 0.8007], width 0.4655
* the leaf LP (HiGHS interior point, about 2x faster than its dual simplex there: 6.5 vs
  14.4 CPU s on an 835-leaf SUN tree) is nearly all of the time; it grows faster than the
  number of leaves, so each doubling of CPU time adds less
* split heuristics (split fraction 0.5, /tmp scripts calling grow_partition_tree): "gain"
  (purity gain of the split, leaves ranked by it) against "variance" (q-weighted variance of
  M[:, i], leaves ranked by confusion): SUN 0.1500 at 99 CPU s (1756 leaves) vs 0.1304 at
  119 s (1653 leaves); CUB 0.3260 at 61 s vs 0.3159 at 51 s and 0.3161 at 82 s (1448 leaves).
  Splitting every confused leaf each round (fraction 1) with the dual simplex, SUN at 600
  leaves: gain 0.1442 in 11 s, variance 0.1083 in 47 s
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.zsl.bound import _LIVE_SIMPLEX_MAX_ROWS as _LIVE_ROWS
from analysis.zsl.bound import worst_case_lower_bound
from analysis.zsl.data import awa_like_matrix

ROOT = Path(__file__).resolve().parents[1]
#: the recorded SUN / CUB / AwA2 / aPY runs, drawn by the zsl_real_bounds figure
REAL_RECORD = ROOT / "analysis" / "zsl" / "real_record.json"
METHODS = ("full", "colgen-bruteforce", "colgen-milp", "colgen-subsets")
OLD_METHODS = ("colgen-milp", "colgen-subsets")
LIMITS = {"full": 12, "colgen-bruteforce": 20}  # beyond: 2^n enumeration is out of reach
#: the last commit before dual lifting, smoothing, interior-point masters and column parking
OLD_COMMIT = "5acda89"


def _git_show(commit: str, path: str) -> str:
    return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def load_old_solver(commit: str):
    """Import ``analysis/zsl/bound.py`` as it was at ``commit`` (a module named ``zsl_bound_old``)."""
    source = _git_show(commit, "analysis/zsl/bound.py")
    path = Path(tempfile.mkdtemp(prefix="zsl_old_")) / "zsl_bound_old.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("zsl_bound_old", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["zsl_bound_old"] = module
    spec.loader.exec_module(module)
    return module


def old_record_rows(commit: str) -> dict:
    """``n -> row`` of the benchmark record committed at ``commit`` (empty if there is none)."""
    try:
        record = json.loads(_git_show(commit, "analysis/zsl/benchmark_record.json"))
    except (subprocess.CalledProcessError, json.JSONDecodeError):
        return {}
    return {row["n"]: row for row in record.get("rows", [])}


def _run(solve, M, method, budget):
    t0, c0 = time.perf_counter(), time.process_time()
    r = solve(M, method, time_limit=None if method == "full" else budget)
    return {"seconds": time.process_time() - c0, "wall": time.perf_counter() - t0, "Q": r.Q,
            "interval": [r.lower, r.upper], "exact": bool(r.exact), "rounds": r.iterations}


def _cell(run: dict | None) -> str:
    if run is None:
        return f"{'-':>16}"
    if run["exact"]:
        return f"{run['seconds']:>15.2f}s"
    lo, hi = run["interval"]
    text = f">{run['seconds']:.0f}s [{lo:.2f},{hi:.2f}]"
    return f"{text:>16}"


def _ratio(old: dict | None, new: dict | None) -> str:
    if old is None or new is None or not new["exact"]:
        return f"{'-':>6}"
    text = f"{'>' if not old['exact'] else ''}{old['seconds'] / new['seconds']:.1f}x"
    return f"{text:>6}"


def real_section(names, cpu, checkpoint_dir, record, masters=("auto",), out_path=None) -> None:
    """Certified intervals for Q on the real unseen splits at full attribute count.

    Each solve is limited to ``cpu`` CPU seconds (checked after each round, so a slow first
    master can overrun it); with ``checkpoint_dir`` a rerun resumes from the saved column pool
    and certificate. Prints rounds, columns, master / pricing CPU seconds and the interval over
    time. With several ``masters`` (``live``: the warm-started highspy layer master;
    ``linprog``: the epigraph master rebuilt by scipy each round, the reference) each benchmark
    is solved by each, one after the other in this process, and a ratio table compares their
    CPU seconds where both finished exactly, else the widths reached.
    """
    from analysis.zsl.benchmarks import benchmark_provenance, load_benchmark

    head = (f"{'data':>5} {'k x n':>8} {'master':>7} {'method':>15} {'rounds':>6} {'columns':>7} "
            f"{'master s':>8} {'pricing s':>9} {'CPU s':>7} {'lower':>9} {'upper':>9} "
            f"{'width':>8} exact")
    print(f"real benchmarks (unseen splits), column generation limited to {cpu:.0f} CPU s")
    print(head)
    print("-" * len(head))
    out, runs = {}, {}
    for name, master in [(nm, ms) for nm in names for ms in masters]:
        M, _, _ = load_benchmark(name)
        ck = None if checkpoint_dir is None else Path(checkpoint_dir) / f"zsl_{name}_{master}.npz"
        start = time.process_time()
        r = worst_case_lower_bound(M, cpu_time_limit=cpu, milp_time_limit=30.0, checkpoint=ck,
                                   progress=sys.stderr.isatty(), master=master)
        last = r.history[-1]
        runs[name, master] = (time.process_time() - start, r)
        print(f"{name:>5} {M.shape[0]:>3} x {M.shape[1]:<3} {master:>7} {r.method:>15} "
              f"{r.iterations:>6} "
              f"{r.n_columns:>7} {last.get('master_cpu_seconds', 0):>8.1f} "
              f"{last.get('pricing_cpu_seconds', 0):>9.1f} {time.process_time() - start:>7.1f} "
              f"{r.lower:>9.6f} {r.upper:>9.6f} {r.gap:>8.1e} {r.exact}", flush=True)
        over_time = [(round(h["cpu_seconds"], 2), h["lower"], h["upper"]) for h in r.history]
        shown = over_time[:: max(1, len(over_time) // 6)] + over_time[-1:]
        print("       interval over CPU time: " + "; ".join(
            f"{t:.0f} s [{lo:.4f}, {hi:.4f}]" for t, lo, hi in shown))
        if master != masters[0]:
            continue  # the record holds the first master's solve
        if master == "auto":  # the master "auto" picks (analysis.zsl.bound)
            master = "live" if M.shape[0] * (M.shape[1] + 1) <= _LIVE_ROWS else "linprog"
        out[name] = {**benchmark_provenance(name), "shape": list(M.shape), "method": r.method,
                     "master": master,
                     "rounds": r.iterations, "columns": r.n_columns, "lower": r.lower,
                     "upper": r.upper, "exact": r.exact, "cpu_seconds": last["cpu_seconds"],
                     "master_cpu_seconds": last.get("master_cpu_seconds"),
                     "pricing_cpu_seconds": last.get("pricing_cpu_seconds"),
                     "interval_over_cpu_time": over_time}
    if len(masters) > 1:
        base = masters[0]
        print(f"\nCPU seconds, {base} vs the others (ratio = other / {base}; width if not exact)")
        for name in names:
            cells = []
            for master in masters:
                cpu_s, r = runs[name, master]
                cells.append(f"{master} {cpu_s:.1f} s " + ("exact" if r.exact else f"width {r.gap:.3g}"))
            b_cpu, b_r = runs[name, base]
            ratios = [f"{runs[name, m][0] / b_cpu:.1f}x" for m in masters[1:]
                      if b_r.exact and runs[name, m][1].exact]
            print(f"{name:>5}: " + "; ".join(cells) + (f"; ratio {', '.join(ratios)}" if ratios else ""))
    if out_path is not None:
        Path(out_path).write_text(json.dumps({"benchmarks": out}, indent=1))
        print(f"written to {out_path}")
    if record:
        _record_real(REAL_RECORD, out)


#: certificate route per benchmark: the greedy hub recorded in real_record.json
#: (greedy_attributes), star groups, private attributes per group, the group size of the
#: grouped upper end (None: none; CUB's first group of 10 classes x 312 attributes was not
#: exact after 124 CPU s, its master at 0.855, above the whole master's 0.8373) and the rounds
#: of the column-generation master whose law is the upper end (None: none; a deterministic
#: budget: on CUB each round's linprog master takes about 90-100 CPU s)
CERTIFY = {"sun": {"star_group_size": 12, "private": 6, "group_size": 12, "master_rounds": None},
           "cub": {"star_group_size": 10, "private": 10, "group_size": None, "master_rounds": 2}}
CERT_DIR = ROOT / "analysis" / "zsl" / "certificates"


def certify_section(names, record, lower_cpu=None, upper_cpu=120.0,
                    ends=("upper", "lower"), resolve_stored=False, group_size=None,
                    subgroup_size=None) -> None:
    """SUN / CUB: certified interval from stored certificates (upper: a law; lower: star).

    Prints each stage (group solves: their own rounds, columns, master and pricing CPU seconds;
    master rounds; every 10th star round: cumulative ones) with the certified interval over CPU
    time. The upper end is the better of the grouped adversaries' union law and the law of the
    time-limited column-generation master (:func:`analysis.zsl.certify.master_upper_bound`),
    per ``CERTIFY``. Only the ``ends`` named are recomputed; an end replaces the recorded one
    when it is tighter or the recorded one has no stored certificate. ``record`` writes the
    certificates to ``analysis/zsl/certificates/NAME_{upper,lower}.npz`` (re-checked from the
    file before it is recorded) and the run to ``real_record.json``; with one end only, the
    record is updated in place (its ``previous`` run kept). ``resolve_stored``: the upper end
    instead re-solves the master with all classes on the support of the stored upper law
    (:func:`analysis.zsl.certify.support_upper_bound`; its CPU seconds add to the stored ones),
    joined by the support of this run's grouped law when ``group_size`` is given (groups of
    that size, ``upper_cpu`` CPU seconds per group solve). ``group_size`` overrides
    ``CERTIFY`` (0: no grouped law). ``subgroup_size``: each group is warm-started from its
    own subgroups of that size (``grouped_upper_bound(subgroup_size=...)``).
    """
    from analysis.zsl.benchmarks import benchmark_provenance, load_benchmark
    from analysis.zsl.certify import (
        check_certificate_file,
        master_upper_bound,
        save_certificate,
        support_upper_bound,
    )
    from analysis.zsl.real import certified_interval

    path = REAL_RECORD
    old = _read_record(path)
    out = {}
    for name in names:
        M, _, _ = load_benchmark(name)
        prev = old["benchmarks"].get(name, {})
        hub = prev.get("greedy_attributes")
        conf = CERTIFY.get(name, {"star_group_size": 12, "private": 6, "group_size": 12,
                                  "master_rounds": None})
        if group_size is not None or resolve_stored:
            conf = {**conf, "group_size": group_size or None}
        grouped = "upper" in ends and conf["group_size"] is not None
        by_master = "upper" in ends and conf.get("master_rounds") is not None
        if resolve_stored:
            by_master = False
        print(f"\n{name} {M.shape[0]} x {M.shape[1]}: certificate route ({', '.join(ends)}); "
              f"hub {hub} (greedy, real_record.json), star groups <= {conf['star_group_size']}, "
              f"{conf['private']} private attributes per group, upper groups <= "
              f"{conf['group_size']}, master rounds {conf.get('master_rounds')}")
        print(f"{'stage':>6} {'round':>5} {'columns':>7} {'master s':>8} {'pricing s':>9} "
              f"{'CPU s':>7} {'lower':>9} {'upper':>9}")
        stage_cpu = {"upper": 0.0, "lower": 0.0}

        def show(rec):
            if rec["stage"] == "lower" and "star_master" in rec and rec["rounds"] % 10:
                return  # every 10th star round
            cols = rec.get("columns")
            print(f"{rec['stage']:>6} {rec.get('rounds', 0):>5} "
                  f"{'-' if cols is None else cols:>7} "
                  f"{rec.get('master_cpu_seconds') or float('nan'):>8.1f} "
                  f"{rec.get('pricing_cpu_seconds') or float('nan'):>9.1f} "
                  f"{rec['cpu_seconds']:>7.1f} {rec['lower']:>9.6f} {rec['upper']:>9.6f}"
                  + (f"  group Q {rec['group_Q']:.4f}" if "group_Q" in rec else "")
                  + (f"  star master {rec['star_master']:.4f}" if "star_master" in rec else ""),
                  flush=True)

        r = certified_interval(name, hub=hub, star_group_size=conf["star_group_size"],
                               private=conf["private"], group_size=conf["group_size"] or 1,
                               upper_subgroup_size=subgroup_size,
                               upper=grouped, lower="lower" in ends,
                               lower_cpu_time_limit=lower_cpu, upper_cpu_time_limit=upper_cpu,
                               callback=show)
        for rec in r.history:
            stage_cpu[rec["stage"] if rec["stage"] in stage_cpu else "lower"] = rec["cpu_seconds"]
        up_cpu = stage_cpu["upper"]
        low_cpu = r.cpu_seconds - up_cpu
        new = {"upper": (r.upper_certificate, "upper", up_cpu, "grouped adversaries (this run)"),
               "lower": (r.lower_certificate, "lower", low_cpu, "star relaxation (this run)")}
        if by_master:
            tick = time.process_time()

            def show_master(h):
                print(f"{'master':>6} {h['iteration']:>5} {h['n_columns']:>7} "
                      f"{h['master_cpu_seconds']:>8.1f} {h['pricing_cpu_seconds']:>9.1f} "
                      f"{h['cpu_seconds']:>7.1f} {h['lower']:>9.6f} {h['upper']:>9.6f}",
                      flush=True)

            cert, res = master_upper_bound(M, cpu_time_limit=None,
                                           max_iterations=conf["master_rounds"],
                                           callback=show_master)
            m_cpu = time.process_time() - tick
            print(f"master law: {res.iterations} rounds ({res.method}), master value "
                  f"{res.Q:.12f}, repair t = {cert.repair:.3g}, certified Q <= "
                  f"{cert.upper:.12f} ({cert.vectors.shape[0]} vectors), {m_cpu:.1f} CPU s")
            if new["upper"][0] is None or cert.upper < new["upper"][0].upper:
                new["upper"] = (cert, "upper", m_cpu,
                                f"column-generation master law (this run: {res.iterations} "
                                f"round(s), {res.method}, master value {res.Q:.10f}, repaired "
                                f"by t = {cert.repair:.2g})")
        stored = (prev.get("certificates") or {}).get("upper")
        if resolve_stored and "upper" in ends and stored is not None:
            tick = time.process_time()
            base = check_certificate_file(ROOT / stored, M)
            support, joined = base.vectors, ""
            if r.upper_certificate is not None:
                support = np.concatenate([support, r.upper_certificate.vectors])
                sub = f" warm-started from subgroups <= {subgroup_size}," if subgroup_size else ""
                joined = (f" and of this run's grouped law (groups <= {conf['group_size']},{sub} "
                          f"{upper_cpu:.0f} CPU s per group, {up_cpu:.0f} s: Q <= "
                          f"{r.upper_certificate.upper:.6f}, "
                          f"{r.upper_certificate.vectors.shape[0]} vectors)")
            cert = support_upper_bound(M, support)
            s_cpu = time.process_time() - tick
            total = (prev.get("upper_cpu_seconds") or 0.0) + up_cpu + s_cpu
            print(f"master on the stored law's support ({base.vectors.shape[0]} vectors, "
                  f"{stored}: Q <= {base.upper:.6f}){joined} with all {M.shape[0]} classes: "
                  f"Q <= {cert.upper:.6f} (repair t = {cert.repair:.3g}, "
                  f"{cert.vectors.shape[0]} vectors used), {s_cpu:.1f} CPU s", flush=True)
            new["upper"] = (cert, "upper", total,
                            f"master re-solved with all {M.shape[0]} classes on the support of "
                            f"the stored law ({base.vectors.shape[0]} vectors, Q <= "
                            f"{base.upper:.6f}){joined}; {s_cpu:.0f} CPU s, added to "
                            f"{prev.get('upper_cpu_seconds') or 0.0:.0f} + {up_cpu:.0f}), "
                            f"repaired by t = {cert.repair:.2g}; the stored law was: "
                            f"{prev.get('upper_source', '').replace('this run', 'earlier run')}")
        chosen = {}
        for end in ("upper", "lower"):
            cert, attr, cpu, source = new[end]
            had = (prev.get("certificates") or {}).get(end)
            better = cert is not None and (
                had is None or end not in prev
                or (getattr(cert, attr) < prev[end] if end == "upper"
                    else getattr(cert, attr) > prev[end]))
            if better:
                chosen[end] = (getattr(cert, attr), source, cpu, cert)
            else:
                chosen[end] = (prev.get(end, 1.0 if end == "upper" else 1.0 / M.shape[0]),
                               prev.get(f"{end}_source", "recorded").replace("this run",
                                                                             "earlier run"),
                               prev.get(f"{end}_cpu_seconds"), None)
        upper, lower = chosen["upper"][0], chosen["lower"][0]
        print(f"{name}: [{lower:.6f}, {upper:.12f}], width {upper - lower:.4f} (upper: "
              f"{chosen['upper'][1]}; lower: {chosen['lower'][1]})")
        if not record:
            continue
        CERT_DIR.mkdir(exist_ok=True)
        files = dict(prev.get("certificates") or {})
        for end in ("upper", "lower"):
            cert = chosen[end][3]
            if cert is None:
                continue
            file = CERT_DIR / f"{name}_{end}.npz"
            save_certificate(file, M, cert)
            again = getattr(check_certificate_file(file, M), end)
            # the same law re-checked: only BLAS / summation round-off (a few ulps; the bound's
            # own rounding margin is larger) may differ; the record holds the file's value
            assert abs(again - getattr(cert, end)) <= 1e-12, (name, end)
            chosen[end] = (again, *chosen[end][1:])
            files[end] = str(file.relative_to(ROOT))
        upper, lower = chosen["upper"][0], chosen["lower"][0]  # as re-checked from the files
        ends_cpu = {f"{end}_cpu_seconds": chosen[end][2] for end in ("upper", "lower")}
        sources = {f"{end}_source": chosen[end][1] for end in ("upper", "lower")}
        opts = (" --resolve-stored" if resolve_stored else "") + (
            f" --group-size {group_size} --upper-cpu {upper_cpu:g}" if group_size else "") + (
            f" --subgroup-size {subgroup_size}" if subgroup_size else "")
        run = (f"benchmarks/bench_zsl.py --real {name} --route certify --ends "
               f"{','.join(ends)}{opts} --record-real")
        if set(ends) != {"upper", "lower"}:
            # one end: the record is updated in place, its previous run and history kept
            rec = {**prev, "upper": upper, "lower": lower, **sources, **ends_cpu,
                   "certificates": files, "config": conf,
                   "cpu_seconds": sum(c for c in ends_cpu.values() if c is not None)}
            rec["interval_over_cpu_time"] = [[t, lo, upper if "upper" in ends else hi]
                                             for t, lo, hi in prev.get("interval_over_cpu_time",
                                                                       [])]
            rec["run_" + "_".join(ends)] = run
            out[name] = rec
            continue
        over_time = [(round(h["cpu_seconds"], 2), h["lower"],
                      h["upper"] if r.upper_certificate is not None else upper)
                     for h in r.history]
        keep = {key: prev[key] for key in ("greedy_attributes", "greedy_run", "greedy_lower",
                                           "lower_star", "run_tree", "tree_lower_over_cpu_time")
                if key in prev}
        out[name] = {**benchmark_provenance(name), "shape": list(M.shape), "method": "certify",
                     "route": "certify", "lower": lower, "upper": upper, "exact": False,
                     **sources, "cpu_seconds": sum(c for c in ends_cpu.values() if c is not None),
                     **ends_cpu, "certificates": files, "config": conf,
                     "interval_over_cpu_time": over_time, **keep,
                     "previous": {key: prev.get(key) for key in
                                  ("lower", "upper", "cpu_seconds", "method", "rounds",
                                   "interval_over_cpu_time", "run") if key in prev},
                     "run": run}
    if record and out:
        _record_real(path, out)



def tree_section(names, record, cpu=600.0, heuristic="gain", split_fraction=0.5,
                 max_leaves=100_000) -> None:
    """SUN / CUB lower end from a greedily grown decision tree (analysis.zsl.partition).

    Prints, per round, the tree's leaves and depth, the certified lower end ``D / rho`` (rho
    bounded over the tree's cells) and the cumulative CPU seconds (this process, one thread).
    ``record``: when the best tree certificate beats the recorded lower end, it is stored in
    ``analysis/zsl/certificates/NAME_lower_tree.npz`` (re-checked from the file first) and
    becomes the record's lower end; the star certificate it replaces stays in its file and is
    kept in the record under ``lower_star``.
    """
    from analysis.zsl.benchmarks import load_benchmark
    from analysis.zsl.certify import check_certificate_file, save_certificate
    from analysis.zsl.partition import grow_partition_tree

    path = REAL_RECORD
    old = _read_record(path)
    out = {}
    for name in names:
        M, _, _ = load_benchmark(name)
        prev = old["benchmarks"].get(name, {})
        print(f"\n{name} {M.shape[0]} x {M.shape[1]}: decision-tree lower end, heuristic "
              f"{heuristic}, split fraction {split_fraction}, {cpu:.0f} CPU s; recorded lower "
              f"{prev.get('lower', float('nan')):.6f} ({prev.get('lower_source', '-')})")
        print(f"{'round':>5} {'leaves':>6} {'depth':>5} {'CPU s':>8} {'LP CPU s':>8} "
              f"{'lower':>9}")

        def show(r):
            print(f"{r['round']:>5} {r['leaves']:>6} {r['depth']:>5} {r['cpu_seconds']:>8.1f} "
                  f"{r['lp_cpu_seconds']:>8.1f} {r['lower']:>9.6f}", flush=True)

        cert = grow_partition_tree(M, cpu_budget=cpu, max_leaves=max_leaves,
                                   split_fraction=split_fraction, heuristic=heuristic,
                                   callback=show)
        used = cert.history[-1]["cpu_seconds"]
        best_at = next(r["cpu_seconds"] for r in cert.history if r["lower"] == cert.lower)
        print(f"{name}: tree lower end {cert.lower:.6f} ({cert.tree.n_leaves} leaves, depth "
              f"{cert.tree.depth}, reached at {best_at:.0f} of {used:.0f} CPU s); recorded "
              f"{prev.get('lower', float('nan')):.6f}")
        if not record or cert.lower <= prev.get("lower", 0.0):
            continue
        file = CERT_DIR / f"{name}_lower_tree.npz"
        save_certificate(file, M, cert)
        again = check_certificate_file(file, M).lower
        assert abs(again - cert.lower) <= 1e-12, (name, again, cert.lower)
        files = dict(prev.get("certificates") or {})
        star = {"lower": prev.get("lower"), "lower_source": prev.get("lower_source"),
                "lower_cpu_seconds": prev.get("lower_cpu_seconds"), "file": files.get("lower")}
        files["lower"] = str(file.relative_to(ROOT))
        run = (f"benchmarks/bench_zsl.py --real {name} --route tree --tree-cpu {cpu:g} "
               f"--heuristic {heuristic} --split-fraction {split_fraction:g} --record-real")
        rec = {**prev, "lower": again,
               "lower_source": (f"decision tree (this run: {cert.tree.n_leaves} leaves, depth "
                                f"{cert.tree.depth}, heuristic {heuristic}, split fraction "
                                f"{split_fraction:g})"),
               "lower_cpu_seconds": best_at, "certificates": files,
               "lower_star": prev.get("lower_star", star), "run_tree": run,
               "tree_lower_over_cpu_time": [[round(r["cpu_seconds"], 2), r["leaves"],
                                             r["lower"]] for r in cert.history]}
        rec["cpu_seconds"] = (rec.get("upper_cpu_seconds") or 0.0) + best_at
        out[name] = rec
    if record and out:
        _record_real(path, out)


def _read_record(path: Path) -> dict:
    """The recorded real-benchmark runs at ``path`` (an empty record when there is none)."""
    return json.loads(path.read_text()) if path.exists() else {"benchmarks": {}}


def _record_real(path: Path, out: dict) -> None:
    """Merge ``out`` into the record at ``path`` (read again now: another run may have recorded
    another benchmark meanwhile) and write it atomically."""
    from analysis._core.figio import write_text_atomically

    old = _read_record(path)
    old["benchmarks"].update(out)
    old.update(date=datetime.date.today().isoformat(),
               machine=f"{platform.machine()}, {os.cpu_count()} cores (shared, loaded)")
    write_text_atomically(path, json.dumps(old, indent=1))
    print(f"recorded in {path}")

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--ns", default="8,10,12,15,20,40,85")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--budget", type=float, default=900.0,
                        help="wall-clock seconds per column-generation run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--old-commit", default=OLD_COMMIT)
    parser.add_argument("--old-max-n", type=int, default=40,
                        help="re-run the old solver up to this n; beyond, use its committed record")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--real", default=[], nargs="+",
                        help="real benchmarks (awa2 apy sun cub, or comma-separated): run the "
                        "time-limited real-data section instead")
    parser.add_argument("--route", default="auto", choices=("auto", "colgen", "certify", "tree"),
                        help="--real: column generation, the stored certificates (SUN, CUB) or "
                        "auto (certificates beyond 2000 master rows)")
    parser.add_argument("--lower-cpu", type=float, default=None,
                        help="certificate route: CPU seconds of the star solve (default: exact)")
    parser.add_argument("--ends", default="upper,lower",
                        help="certificate route: which ends to recompute (the others stay as "
                        "recorded)")
    parser.add_argument("--resolve-stored", action="store_true",
                        help="certificate route, upper end: re-solve the master with all "
                        "classes on the support of the stored upper law")
    parser.add_argument("--group-size", type=int, default=None,
                        help="certificate route: classes per group of the grouped upper law "
                        "(default: CERTIFY; with --resolve-stored: none unless given)")
    parser.add_argument("--subgroup-size", type=int, default=None,
                        help="certificate route: warm-start each upper group from its own "
                        "subgroups of at most this many classes")
    parser.add_argument("--upper-cpu", type=float, default=120.0,
                        help="certificate route: CPU seconds per group solve of the grouped law")
    parser.add_argument("--tree-cpu", type=float, default=600.0,
                        help="tree route: CPU seconds of the decision-tree growth")
    parser.add_argument("--heuristic", default="gain", choices=("gain", "variance"),
                        help="tree route: split-attribute rule")
    parser.add_argument("--split-fraction", type=float, default=0.5,
                        help="tree route: share of the confused leaves split per round")
    parser.add_argument("--real-cpu", type=float, default=60.0,
                        help="CPU seconds of column generation per real benchmark")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="resume/save each real solve's column pool here")
    parser.add_argument("--masters", default="auto",
                        help="comma-separated restricted masters for --real (auto,live,linprog)")
    parser.add_argument("--real-out", default=None,
                        help="also write the real section's JSON rows to this path")
    parser.add_argument("--record-real", action="store_true",
                        help="write analysis/zsl/real_record.json (drawn by zsl_real_bounds)")
    args = parser.parse_args()
    if args.real:
        from analysis.zsl.benchmarks import load_benchmark

        names = [nm for item in args.real for nm in item.split(",") if nm]
        if args.route == "tree":
            tree_section(names, args.record_real, args.tree_cpu, args.heuristic,
                         args.split_fraction)
            return
        if args.route == "auto":
            big = {nm for nm in names
                   if np.prod(np.add(load_benchmark(nm)[0].shape, (0, 1))) > _LIVE_ROWS}
        else:
            big = set(names) if args.route == "certify" else set()
        small = [nm for nm in names if nm not in big]
        ends = tuple(e for e in args.ends.split(",") if e)
        if not ends or not set(ends) <= {"upper", "lower"}:
            parser.error(f"--ends: expected 'upper', 'lower' or 'upper,lower', got {args.ends!r}")
        if small:
            real_section(small, args.real_cpu, args.checkpoint_dir, args.record_real,
                         tuple(args.masters.split(",")), args.real_out)
        if big:
            certify_section([nm for nm in names if nm in big], args.record_real, args.lower_cpu,
                            upper_cpu=args.upper_cpu, ends=ends,
                            resolve_stored=args.resolve_stored, group_size=args.group_size,
                            subgroup_size=args.subgroup_size)
        return
    ns = [int(x) for x in args.ns.split(",")]
    methods = args.methods.split(",")
    old = load_old_solver(args.old_commit)
    old_rows = old_record_rows(args.old_commit)
    head = (f"{'n':>3} " + " ".join(f"{'old ' + m[7:]:>16} {'new ' + m[7:]:>16} {'x':>6}"
                                     for m in OLD_METHODS)
            + f" {'full':>16} {'bruteforce':>16} {'Q spread':>9} {'Q':>12}")
    print(f"k = {args.k}, CPU seconds; old = commit {args.old_commit}")
    print(head)
    print("-" * len(head))
    rows = []
    for n in ns:
        M = awa_like_matrix(args.k, n, seed=args.seed)
        new_runs = {m: _run(worst_case_lower_bound, M, m, args.budget)
                    for m in methods if n <= LIMITS.get(m, 10**9)}
        old_runs, old_source = {}, None
        if n <= args.old_max_n:
            old_source = "re-run here"
            old_runs = {m: _run(old.worst_case_lower_bound, M, m, args.budget) for m in OLD_METHODS}
        elif n in old_rows:
            old_source = f"recorded at commit {args.old_commit}"
            row = old_rows[n]
            old_runs = {m: {"seconds": row["seconds"][m], "wall": row["wall_seconds"][m],
                            "Q": row["Q"][m], "interval": row["interval"][m],
                            "exact": row["exact"][m], "rounds": None}
                        for m in OLD_METHODS if m in row["seconds"]}
        done = [r["Q"] for r in (*new_runs.values(), *old_runs.values()) if r["exact"]]
        spread = float(np.ptp(done)) if len(done) > 1 else float("nan")
        cells = " ".join(f"{_cell(old_runs.get(m))} {_cell(new_runs.get(m))} "
                         f"{_ratio(old_runs.get(m), new_runs.get(m))}" for m in OLD_METHODS)
        best = new_runs.get("colgen-subsets", {}).get("Q", min(done) if done else float("nan"))
        print(f"{n:>3} {cells} {_cell(new_runs.get('full'))} {_cell(new_runs.get('colgen-bruteforce'))}"
              f" {spread:>9.1e} {best:>12.9f}", flush=True)
        rows.append({
            "n": n,
            "seconds": {m: r["seconds"] for m, r in new_runs.items()},
            "wall_seconds": {m: r["wall"] for m, r in new_runs.items()},
            "Q": {m: r["Q"] for m, r in new_runs.items()},
            "exact": {m: r["exact"] for m, r in new_runs.items()},
            "interval": {m: r["interval"] for m, r in new_runs.items()},
            "rounds": {m: r["rounds"] for m, r in new_runs.items()},
            "Q_spread": spread if np.isfinite(spread) else None,
            "old": {"source": old_source, "runs": old_runs},
        })
    if args.record:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        record = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
            "k": args.k,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {load:.1f}, CPU s",
            "budget_s": args.budget,
            "old_commit": args.old_commit,
            "rows": rows,
        }
        path = ROOT / "analysis" / "zsl" / "benchmark_record.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1, allow_nan=False, default=float))
        tmp.replace(path)
        print(f"recorded in {path}")


if __name__ == "__main__":
    main()
