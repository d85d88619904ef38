"""Every claim of the ledger holds on seeded instances and fails on its broken input."""

import pytest

from analysis import TOPICS
from analysis._core.claims import get_claims, run_claim

CLAIMS = get_claims()


def test_ledger_is_not_empty_and_ids_are_unique():
    assert CLAIMS
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    assert {c.topic for c in CLAIMS} <= set(TOPICS)


@pytest.mark.parametrize("c", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_holds_for_two_seeds_and_fails_when_broken(c):
    for seed in (0, 1):
        record = run_claim(c, seed)
        assert record["status"] == "pass", record
    broken = run_claim(c, 0, broken=True)
    assert broken["status"] == "fail", f"claim {c.id} did not fail on its broken input: {broken}"
