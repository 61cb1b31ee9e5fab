"""The offline catalog: built from the real ../shared CSVs, the shipped file, user imports, damaged files."""
from __future__ import annotations

import csv
import gzip

import numpy as np
import pytest

from emotune.appdirs import AppDirs
from emotune.music.catalog import Catalog, CatalogError
from emotune.music.library import build_catalog, import_csv, load_catalog, shipped_catalog_path, user_catalog_path
from emotune.music.links import is_track_id, parse_track_id, track_url
from emotune.music.sources import parse_year, read_csv_text, repair_mojibake
from emotune.music.track import Track

HIGH = "high_popularity_spotify_data.csv"
TENS = "dataset-of-10s.csv"

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def built(music_dir):
    return build_catalog([music_dir / HIGH, music_dir / TENS])


def test_build_counts_every_distinct_valid_id_and_drops_none(built):
    catalog, report = built
    high, tens = report.reports
    assert (high.rows, tens.rows) == (1686, 6398)
    assert high.invalid_ids == tens.invalid_ids == 0
    assert len(catalog) == 7660                     # SOURCES.md: 7,660 distinct ids, 155 in both files
    ids = [i.decode() for i in catalog.ids]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and all(map(is_track_id, ids))


def test_duplicate_rows_merge_their_genres(built):
    catalog, _ = built
    per_track = np.diff(catalog.genre_ids.ptr)
    # SOURCES.md: 143 repeated ids carry a different playlist_genre in different rows
    assert int(np.count_nonzero(per_track >= 2)) == 143
    assert len(catalog.genres()) == 28
    with_genre = next(catalog.track(i) for i in np.flatnonzero(per_track >= 2))
    assert len(set(with_genre.genres)) == len(with_genre.genres) >= 2


def test_mojibake_is_repaired_and_the_bom_header_read(built):
    catalog, report = built
    high = report.reports[0]
    assert high.repaired >= 167 and len(high.unrepaired) <= 2
    names = {catalog.artist_names[i] for i in range(len(catalog.artist_names))}
    assert "ROSÉ" in names
    texts = [catalog.titles[i] for i in range(len(catalog))] + sorted(names)
    damaged = [t for t in texts if any("\u0080" <= ch <= "\u009f" for ch in t)]
    assert len(damaged) <= 2
    # the energy column sits behind the damaged BOM: every high-popularity track still has its energy
    assert np.isfinite(catalog.features[:, 1]).all()


def test_repair_mojibake_reverses_the_known_chain_and_leaves_good_text_alone():
    assert repair_mojibake("ROSâ\x88\x9aÃ¢") == "ROSÉ"
    assert repair_mojibake("Thatâ\x80\x9aÃ\x84Ã´s") == "That’s"
    for good in ("Beyoncé", "Sigur Rós", "plain ascii", "周杰倫"):
        assert repair_mojibake(good) == good


def test_two_digit_years_use_a_fixed_pivot():
    assert parse_year("8/16/24") == 2024
    assert parse_year("1/1/85") == 1985
    assert parse_year("2019-05") == 2019 and parse_year("1999") == 1999
    assert parse_year("soon") == 0


def test_the_build_is_deterministic_and_round_trips(built, music_dir, tmp_path):
    catalog, _ = built
    again, _ = build_catalog([music_dir / HIGH, music_dir / TENS], tmp_path / "c.emocat")
    assert again.to_bytes() == catalog.to_bytes()
    loaded = Catalog.load(tmp_path / "c.emocat")
    assert len(loaded) == len(catalog)
    for i in (0, 1234, len(catalog) - 1):
        assert _same(loaded.track(i), catalog.track(i))


def _same(a: Track, b: Track) -> bool:
    """Equal, counting NaN features as equal."""
    da, db = a.to_json(), b.to_json()
    return da == db


def test_the_shipped_catalog_is_the_build_of_the_shared_sources(built):
    catalog, _ = built
    shipped = shipped_catalog_path()
    assert shipped.exists()
    assert shipped.read_bytes() == catalog.to_bytes()
    assert shipped.stat().st_size < 1_000_000


def test_kept_fields_per_track(built):
    catalog, _ = built
    rose = [i for i in range(len(catalog)) if "ROSÉ" in catalog.track(i).artists]
    t = catalog.track(rose[0])
    assert t.title and t.album and 1950 < t.year <= 2026 and 68 <= t.popularity <= 100 and t.genres
    assert 0 <= t.valence <= 1 and 0 <= t.energy <= 1 and t.tempo > 0
    assert track_url(t.id) == f"https://open.spotify.com/track/{t.id}"
    assert catalog.track(int(catalog.index_of(["2plbrEY59IikOBgBGLjaoe"])[0])).language == "en"
    languages = catalog.languages()
    assert {"en", "es", "ar"} <= set(languages)


EXPORT_HEADER = ["Track URI", "Track Name", "Artist Name(s)", "Album Name", "Album Release Date", "Explicit",
                 "Popularity", "Danceability", "Energy", "Valence", "Acousticness", "Tempo"]


def _export(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(EXPORT_HEADER)
        w.writerows(rows)


def test_import_a_playlist_export_into_the_user_catalog(tmp_path):
    dirs = AppDirs.under(tmp_path / "home")
    shipped = load_catalog()
    old = shipped.ids[0].decode()
    new = "0" * 21 + "Z"
    csv_path = tmp_path / "export.csv"
    _export(csv_path, [
        [f"spotify:track:{new}", "Quiet Morning", "Ana Ñ, Bo", "Dawn", "2021-03-04", "false", "40",
         "0.3", "0.2", "0.25", "0.9", "70"],
        [f"https://open.spotify.com/track/{old}?si=x", "Known", "Someone", "", "2020", "true", "", "0.5", "0.5",
         "0.5", "", ""],
        ["not-a-track", "Bad", "Nobody", "", "", "", "", "0.5", "0.5", "0.5", "", ""],
    ])
    report = import_csv([csv_path], dirs)
    assert (report.added, report.updated, report.tracks) == (2, 0, 2)
    assert report.reports[0].invalid_ids == 1
    merged = load_catalog(dirs)
    assert len(merged) == len(shipped) + 1
    t = merged.track(int(merged.index_of([new])[0]))
    assert t.artists == ("Ana Ñ", "Bo") and t.year == 2021 and t.explicit is False
    assert t.acousticness == pytest.approx(0.9)
    # the user's row wins for the shared id; what it lacks comes from the shipped catalog
    known = merged.track(int(merged.index_of([old])[0]))
    assert known.title == "Known" and known.valence == pytest.approx(0.5)
    again = import_csv([csv_path], dirs)
    assert (again.added, again.updated) == (0, 2)


def test_a_broken_import_names_the_missing_column_and_changes_nothing(tmp_path):
    dirs = AppDirs.under(tmp_path / "home")
    good = tmp_path / "good.csv"
    _export(good, [["spotify:track:" + "1" * 22, "A", "B", "", "", "", "", "0.1", "0.2", "0.3", "", ""]])
    import_csv([good], dirs)
    before = user_catalog_path(dirs).read_bytes()
    broken = tmp_path / "broken.csv"
    broken.write_text("Track URI,Track Name,Artist Name(s),Energy\nspotify:track:" + "2" * 22 + ",A,B,0.5\n")
    with pytest.raises(CatalogError, match="Valence"):
        import_csv([good, broken], dirs)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CatalogError, match="empty"):
        import_csv([empty], dirs)
    assert user_catalog_path(dirs).read_bytes() == before


def test_columns_are_recognised_by_name_in_any_order():
    text = "Valence,energy,ARTIST,Track Name,uri\n0.9,0.8,Solo & Band,Up,spotify:track:" + "3" * 22 + "\n"
    (t,) = read_csv_text(text)
    assert t.artists == ("Solo & Band",) and t.title == "Up" and t.valence == pytest.approx(0.9)
    assert t.danceability != t.danceability    # missing feature is NaN, not a made-up value


def test_damaged_catalog_files_are_clear_errors_and_the_shipped_one_still_loads(tmp_path):
    data = shipped_catalog_path().read_bytes()
    cases = {"garbage.emocat": b"hello", "cut.emocat": gzip.decompress(data)[:5000],
             "badgzip.emocat": data[:100]}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CatalogError):
            Catalog.load(tmp_path / name)
    with pytest.raises(CatalogError, match="cannot read"):
        Catalog.load(tmp_path / "missing.emocat")
    dirs = AppDirs.under(tmp_path / "home")
    dirs.data.mkdir(parents=True)
    user_catalog_path(dirs).write_bytes(b"EMOCAT1\n\xff\xff")
    assert len(load_catalog(dirs)) == len(load_catalog())


def test_links_are_built_only_from_valid_ids():
    good = "4uLU6hMCjMI75M1A2tKUQC"
    assert parse_track_id(f"spotify:track:{good}") == good
    assert parse_track_id(f"https://open.spotify.com/intl-de/track/{good}?si=abc") == good
    for bad in ("", "x" * 21, good + "a", "../../evil/" + good, "javascript:alert(1)", f"https://evil.com/track/{good}"):
        assert parse_track_id(bad) == ""
        with pytest.raises(ValueError):
            track_url(bad)


def test_merging_by_columns_equals_merging_track_by_track():
    """The app merges the user's catalog over the shipped one at every start, column by column; the result
    must be what merging Track by Track gives (user rows win, gaps filled, genres united)."""
    from dataclasses import replace

    from emotune.music.merge import merge_catalogs
    from emotune.music.sources import merge_tracks

    shipped = load_catalog()
    changed = [replace(shipped.track(i), title=f"Mine {i}", artists=("Ana Ñ", shipped.track(i).artists[0].upper()),
                       genres=("jazz",), language="", tempo=float("nan")) for i in range(0, len(shipped), 97)]
    new = [Track(id=f"{i:021d}Z", title=f"New {i}", artists=(f"Solo {i % 13}",), genres=("polka",), language="de",
                 valence=0.3, energy=0.6) for i in range(300)]
    user = Catalog.from_tracks(changed + new)
    merged = merge_catalogs([shipped, user])
    expected = Catalog.from_tracks(merge_tracks([*user.tracks(), *shipped.tracks()]))
    assert len(merged) == len(expected) == len(shipped) + 300
    assert [_key(merged.track(i)) for i in range(len(merged))] == [_key(expected.track(i)) for i in range(len(merged))]
    assert merged.genres() == expected.genres() and merged.languages() == expected.languages()
    again = Catalog.from_bytes(merged.to_bytes())
    assert _key(again.track(len(again) - 1)) == _key(merged.track(len(merged) - 1))
    assert merge_catalogs([shipped]) is shipped


def _key(t: Track) -> dict:
    """A track's fields with artist names compared case-insensitively (the vocabulary keeps one spelling)."""
    return t.to_json() | {"artists": [a.casefold() for a in t.artists]}
