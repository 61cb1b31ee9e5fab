"""Every reader of a file EmoTune opens, fuzzed (tests/fuzz_targets.py): damaged, truncated, emptied, re-encoded
and random inputs either read or raise the reader's one documented error, with a message; nothing else escapes,
and nothing already stored is lost. A few dozen examples each, derandomised so a failure repeats; the campaign
(scripts/fuzz_campaign.py) runs thousands and docs/bad-input.md has its figures."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz_targets import TARGETS, Target, check_journal, seed_catalog, seed_journal

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


# The campaign's findings, pinned: each one escaped its reader before the fix.

def test_a_catalog_whose_arrays_do_not_fit_together_is_refused_at_load(tmp_path):
    from emotune.music.catalog import Catalog, CatalogError

    seed = seed_catalog()
    header_end = 12 + int.from_bytes(seed[8:12], "little")
    damaged = seed[:header_end] + bytes(160) + seed[header_end + 160:]   # row pointers zeroed, data kept
    with pytest.raises(CatalogError, match="is damaged"):
        Catalog.from_bytes(damaged, source="catalog.emocat")
    with pytest.raises(CatalogError, match="damaged compressed data"):   # a gzip header on raw data
        Catalog.from_bytes(b"\x1f\x8b\x08\x00" + seed[4:], source="catalog.emocat")


def test_a_journal_with_damaged_text_in_its_schema_is_moved_aside_not_a_crash(tmp_path):
    from emotune.appdirs import AppDirs
    from emotune.journal import JournalStore

    seed = seed_journal()
    for n, at in enumerate((seed.index(b"CREATE TABLE") + 20, 2384)):   # inside the schema's SQL text
        home = tmp_path / str(n)
        damaged = seed[:at] + b"\x80" + seed[at + 1:]
        (home / "data").mkdir(parents=True)
        (home / "data" / "journal.sqlite3").write_bytes(damaged)
        with JournalStore.open(AppDirs.under(home)) as store:
            assert store.notice and "a new, empty journal was started. Nothing was deleted." in store.notice
            assert store.counts()["snapshots"] == 0
        kept = [p for p in (home / "data").iterdir() if ".corrupt-" in p.name and p.suffix != ".txt"]
        assert damaged in [p.read_bytes() for p in kept]            # the user's file, byte for byte


def test_a_journal_from_a_newer_version_is_kept_aside_whole(tmp_path):
    """A damaged header can read as a journal format from the future: kept aside byte for byte (as .v<N>-…)."""
    data = bytearray(seed_journal())
    data[60] = 1                                   # the header's user_version: the journal's format number
    assert check_journal(bytes(data), tmp_path) == "moved aside"
