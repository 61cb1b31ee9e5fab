"""Every reader of a file EmoTune opens, fuzzed (tests/fuzz_targets.py): damaged, truncated, emptied, re-encoded
and random inputs either read or raise the reader's one documented error, with a message; nothing else escapes,
and nothing already stored is lost. A few dozen examples each, derandomised so a failure repeats; the campaign
(scripts/fuzz_campaign.py) runs thousands and docs/bad-input.md has its figures."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz_targets import TARGETS, Target

EXAMPLES = {"videos": 15, "journal database": 20, "folders": 15}


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_a_reader_reads_or_says_why(target: Target, tmp_path):
    outcomes: list[str] = []

    @settings(max_examples=EXAMPLES.get(target.name, 40), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(target.strategy(tmp_path))
    def run(sample) -> None:
        outcomes.append(target.check(sample, tmp_path))

    run()
    assert outcomes and all(outcomes)
