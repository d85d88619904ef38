"""The claims ledger.

A claim is one checkable statement from a paper. It is registered once, with an id, its topic,
its source (paper, theorem or figure), a one-line statement, the reason for its tolerance, and a
check function::

    @claim(
        id="nc.etf.pairwise_cosine",
        topic="neural_collapse",
        source="Papyan, Han & Donoho (2020), Def. 1",
        statement="Rows of the simplex ETF have pairwise cosine exactly -1/(C-1).",
        tolerance_reason="float64 round-off on O(C) sums",
    )
    def _check(seed: int, broken: bool = False) -> ClaimResult:
        ...

``check(seed, broken=False)`` builds a seeded random instance and returns a
:class:`ClaimResult`: the measured *slack* (>= 0 inside the claim, < 0 outside by that much)
and the *tolerance* (the claim passes when ``slack >= -tolerance``). ``broken=True`` must run
the same measurement on a deliberately broken input (a perturbed instance or a wrong
implementation, never a forced verdict); the test suite checks that every claim then fails.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from analysis._core.validate import check_int


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of one claim check.

    Attributes
    ----------
    slack : float
        How far inside the claim the numbers fall (negative: outside by ``-slack``). For an
        identity ``a = b`` this is ``-|a - b|``; for a bound ``a <= b`` it is ``b - a``.
    tolerance : float
        Non-negative allowance; the claim passes iff ``slack >= -tolerance``.
    detail : str
        Optional human-readable measurement (e.g. ``"max |cos + 1/(C-1)| = 3e-16"``).
    """

    slack: float
    tolerance: float
    detail: str = ""

    def __post_init__(self) -> None:
        if not (self.tolerance >= 0):
            raise ValueError(f"tolerance: expected a non-negative number, got {self.tolerance}")

    @property
    def passed(self) -> bool:
        """Whether the measured slack lies within the tolerance (NaN never passes)."""
        return (not math.isnan(self.slack)) and bool(self.slack >= -self.tolerance)


@dataclass(frozen=True)
class Claim:
    """A registered claim (see the module docstring)."""

    id: str
    topic: str
    source: str
    statement: str
    tolerance_reason: str
    check: Callable[..., ClaimResult] = field(repr=False)


_REGISTRY: dict[str, Claim] = {}


def claim(
    *, id: str, topic: str, source: str, statement: str, tolerance_reason: str
) -> Callable[[Callable[..., ClaimResult]], Callable[..., ClaimResult]]:
    """Register ``check(seed, broken=False) -> ClaimResult`` as a claim of the ledger.

    Parameters
    ----------
    id : str
        Unique dotted id, starting with the topic's prefix and ``.`` (``"nc.etf.gram"``; see
        :data:`analysis.TOPIC_PREFIXES`).
    topic : str
        Topic package name (one of :data:`analysis.TOPICS`).
    source : str
        Paper and theorem / equation / figure number.
    statement : str
        One line: what the claim says.
    tolerance_reason : str
        Why the tolerance is what it is (solver accuracy, Monte-Carlo standard error, ...).
    """
    from analysis import TOPICS

    if topic not in TOPICS:
        raise ValueError(f"topic: expected one of {TOPICS}, got {topic!r}")
    for name, value in (("id", id), ("source", source), ("statement", statement),
                        ("tolerance_reason", tolerance_reason)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name}: expected a non-empty string, got {value!r}")
    from analysis._core.registry import check_prefix

    check_prefix(id, topic, "id", ".")

    def register(check: Callable[..., ClaimResult]) -> Callable[..., ClaimResult]:
        existing = _REGISTRY.get(id)
        if existing is not None and existing.check.__qualname__ != check.__qualname__:
            raise ValueError(f"id: claim {id!r} is already registered")
        _REGISTRY[id] = Claim(id, topic, source, statement, tolerance_reason, check)
        return check

    return register


def get_claims(topic: str | None = None) -> list[Claim]:
    """All registered claims (after loading every topic), optionally of one topic, sorted by id."""
    from analysis import TOPICS
    from analysis._core.registry import load_topics

    if topic is not None and topic not in TOPICS:
        raise ValueError(f"topic: expected one of {TOPICS}, got {topic!r}")
    load_topics(None if topic is None else (topic,))
    claims = [c for c in _REGISTRY.values() if topic is None or c.topic == topic]
    order = {t: i for i, t in enumerate(TOPICS)}
    return sorted(claims, key=lambda c: (order[c.topic], c.id))


def get_claim(claim_id: str) -> Claim:
    """The registered claim with id ``claim_id`` (loads only its topic when the prefix names one)."""
    from analysis._core.registry import load_topics, topic_of

    topic = topic_of(claim_id) if isinstance(claim_id, str) else None
    if topic is not None:
        load_topics((topic,))
        if claim_id in _REGISTRY:
            return _REGISTRY[claim_id]
    claims = {c.id: c for c in get_claims()}
    if claim_id not in claims:
        raise KeyError(f"claim_id: no claim {claim_id!r}; known: {sorted(claims)}")
    return claims[claim_id]


def run_claim(c: Claim, seed: int = 0, *, broken: bool = False) -> dict:
    """Run one claim's check and return its ledger record.

    Returns
    -------
    dict
        ``{"id", "topic", "source", "statement", "status", "slack", "tolerance", "seconds",
        "cpu_seconds", "detail"}`` with status ``"pass"``, ``"fail"`` or ``"error"`` (an
        exception; its message is in ``detail``).
    """
    seed = check_int(seed, "seed", minimum=0)
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        result = c.check(seed, broken=broken)
        if not isinstance(result, ClaimResult):
            raise TypeError(f"check returned {type(result).__name__}, expected ClaimResult")
        status = "pass" if result.passed else "fail"
        slack, tol, detail = float(result.slack), float(result.tolerance), result.detail
    except Exception as exc:  # noqa: BLE001 - the ledger reports every failure mode
        status, slack, tol, detail = "error", float("nan"), float("nan"), f"{type(exc).__name__}: {exc}"
    return {
        "id": c.id,
        "topic": c.topic,
        "source": c.source,
        "statement": c.statement,
        "status": status,
        "slack": slack,
        "tolerance": tol,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "detail": detail,
    }


def parse_seeds(spec: str) -> list[int]:
    """Parse a seed specification: ``"A-B"`` (inclusive range), ``"A,B,C"``, or a mix (``"0-4,99"``).

    Returns the seeds in the order given, without duplicates.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"seeds: expected 'A-B' or 'A,B,C' (non-negative integers), got {spec!r}")
    seeds: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        try:
            if sep:
                a, b = int(lo), int(hi)
                if a > b:
                    raise ValueError
                values = range(a, b + 1)
            else:
                values = [int(part)]
        except ValueError:
            raise ValueError(
                f"seeds: expected 'A-B' (A <= B) or 'A,B,C' of non-negative integers, got {spec!r} "
                f"(bad part {part!r})"
            ) from None
        for s in values:
            if s < 0:
                raise ValueError(f"seeds: expected non-negative integers, got {s} in {spec!r}")
            if s not in seeds:
                seeds.append(s)
    return seeds


def _run_claim_by_id(claim_id: str, seed: int, broken: bool) -> dict:
    """Worker entry point: look the claim up by id (claims are not pickled) and run it."""
    record = run_claim(get_claim(claim_id), seed, broken=broken)
    record["seed"] = seed
    record["broken"] = broken
    return record


def sweep_claims(
    claims: list[Claim],
    seeds: list[int] | dict[str, list[int]],
    *,
    broken: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> list[dict]:
    """Run every claim on every seed (or its broken variant), one record per (claim, seed).

    Parameters
    ----------
    claims : list of Claim
    seeds : list of int, or dict claim id -> list of int
        The seeds to run; a dict gives each claim its own list (slow claims get fewer).
    broken : bool
        Run the broken variants instead (each must *fail* on every seed).
    jobs : int
        Local worker processes (one torch/BLAS thread each); 1 runs in-process.
    scheduler : str, optional
        Address of a Dask scheduler to run on instead (see :func:`analysis._core.execution.run_many`).
    progress : bool
        Show a progress bar of finished runs on stderr.

    Returns
    -------
    list of dict
        :func:`run_claim` records with ``seed`` and ``broken`` added, in (claim, seed) order.
    """
    from analysis._core.execution import run_many

    tasks = []
    for c in claims:
        run_seeds = seeds[c.id] if isinstance(seeds, dict) else seeds
        tasks += [(c.id, int(s), bool(broken)) for s in run_seeds]
    return run_many(_run_claim_by_id, tasks, jobs=jobs, scheduler=scheduler, progress=progress,
                    desc="broken variants" if broken else "claims x seeds")


def summarise_sweep(records: list[dict]) -> list[dict]:
    """Per claim: seeds run, the seeds whose outcome is wrong, and the worst slack/tolerance.

    For ordinary runs an outcome is wrong when the status is not ``"pass"``; for broken variants
    when it is not ``"fail"`` (a broken variant that passes, or errors, is a defect).
    The *worst ratio* is ``min(slack / tolerance)`` over seeds (``slack`` itself when the
    tolerance is 0): ``>= -1`` everywhere means every seed passed; for broken variants the
    relevant number is the largest ratio, which must stay ``< -1``.
    """
    by_id: dict[str, list[dict]] = {}
    for r in records:
        by_id.setdefault(r["id"], []).append(r)
    rows = []
    for cid, recs in by_id.items():
        broken = bool(recs[0].get("broken", False))
        want = "fail" if broken else "pass"
        bad = [r for r in recs if r["status"] != want]
        # slack/tolerance per seed; with tolerance 0 the ratio is +-inf, so the slack and the
        # tolerance at the worst seed are reported next to it.
        scored = []
        for r in recs:
            s, t = r["slack"], r["tolerance"]
            if s != s or t != t:
                continue
            ratio = s / t if t > 0 else (0.0 if s == 0 else math.copysign(math.inf, s))
            scored.append((ratio, s, t, r["seed"]))
        pick = max if broken else min
        worst = pick(scored, key=lambda x: (x[0], x[1])) if scored else None
        rows.append({
            "id": cid,
            "topic": recs[0]["topic"],
            "source": recs[0]["source"],
            "broken": broken,
            "n_seeds": len(recs),
            "seeds": [r["seed"] for r in recs],
            "n_wrong": len(bad),
            "wrong_seeds": [r["seed"] for r in bad],
            "wrong_detail": [f"seed {r['seed']}: {r['status']} {r['detail']}" for r in bad[:3]],
            "worst_ratio": worst[0] if worst else float("nan"),
            "worst_slack": worst[1] if worst else None,
            "worst_tolerance": worst[2] if worst else None,
            "worst_seed": worst[3] if worst else None,
            "seconds": sum(r["seconds"] for r in recs),
            "cpu_seconds": sum(r.get("cpu_seconds", r["seconds"]) for r in recs),
        })
    return rows
