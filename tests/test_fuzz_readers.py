"""Every reader of a file EmoTune opens, fuzzed (tests/fuzz_targets.py): damaged, truncated, emptied, re-encoded
and random inputs either read or raise the reader's one documented error, with a message; nothing else escapes,
and nothing already stored is lost. A few dozen examples each, derandomised so a failure repeats; the campaign
(scripts/fuzz_campaign.py) runs thousands and docs/bad-input.md has its figures."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz_inputs import CSV_SEED, seed_catalog, seed_journal
from fuzz_targets import TARGETS, Target, check_journal

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
    # inside the schema's SQL text; 2399 makes a column's name invalid UTF-8 (found by the campaign, seed 2027)
    for n, at in enumerate((seed.index(b"CREATE TABLE") + 20, 2384, 2399)):
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


def test_a_csv_the_csv_module_cannot_read_is_a_catalog_error(tmp_path):
    from emotune.music.catalog import CatalogError
    from emotune.music.catalog_build.sources import read_csv

    path = tmp_path / "tracks.csv"
    path.write_text(CSV_SEED.splitlines()[0] + "\n" + "x" * 200_000 + "\n")    # a field over csv's limit
    with pytest.raises(CatalogError, match=r"tracks.csv is not a readable CSV \(row 1: field larger than"):
        read_csv(path)


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe{", "h.json is not a text file in UTF-8"),
    (b'{"snapshots": [', "h.json is not JSON (Expecting value at line 1)"),
    (b'{"snapshots": 5}', "h.json is not an EmoTune mood history (expected a list of snapshots)"),
    (b'{"version": 9, "snapshots": []}', "h.json has version 9, newer than this EmoTune reads"),
    (b'[{"dominant": "bored", "distribution": [1, 0, 0, 0, 0, 0, 0]}]', "h.json is not an EmoTune mood history "
                                                                      "(ValueError: unknown emotion 'bored'"),
    (b'[{"dominant": "sad", "distribution": [1, 0, 0, 0, 0, 0, 0], "timestamp": NaN}]',
     "h.json holds values that are not numbers (NaN or infinity)"),
    (b"[" * 100_000, "h.json is nested too deeply to be a mood history"),
])
def test_a_mood_history_that_cannot_be_read_says_why(tmp_path, content, message):
    from emotune.core.history import MoodHistory, MoodHistoryError

    (tmp_path / "h.json").write_bytes(content)
    with pytest.raises(MoodHistoryError) as info:
        MoodHistory.load(tmp_path / "h.json")
    assert str(info.value).startswith(message), str(info.value)
