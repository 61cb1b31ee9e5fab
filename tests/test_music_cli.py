"""`emotune catalog` and `emotune recommend`, run through the real command-line entry point."""
from __future__ import annotations

import json

import pytest

from emotune.cli.main import main
from emotune.core.mood import MoodSnapshot
from emotune.music.links import is_track_id


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_recommend_json_for_a_mood(capsys):
    rc, out, _ = run(capsys, "recommend", "--mood", "sad", "--mode", "lift", "-n", "6", "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["mode"] == "lift" and len(data["tracks"]) == 6
    for t in data["tracks"]:
        assert is_track_id(t["track"]["id"]) and t["url"].endswith(t["track"]["id"]) and t["reason"]
    valences = [t["track"]["valence"] for t in data["tracks"]]
    assert valences[-1] > valences[0]


def test_recommend_text_with_filters(capsys):
    args = ("recommend", "--mood", "happy", "--genre", "latin", "--no-explicit", "-n", "3")
    rc, out, _ = run(capsys, *args)
    assert rc == 0
    assert out.startswith("Mood: happy (match)")
    assert out.count("https://open.spotify.com/track/") == 3
    assert " 1. " in out and " 3. " in out
    # the same list as JSON: every track is latin and none is explicit, and they are the tracks printed
    rc, js, _ = run(capsys, *args, "--json")
    tracks = [t["track"] for t in json.loads(js)["tracks"]]
    assert rc == 0 and len(tracks) == 3
    assert all("latin" in t["genres"] and t["explicit"] is not True for t in tracks), tracks
    assert all(f"https://open.spotify.com/track/{t['id']}" in out for t in tracks)
    # without the filters the list for the same mood has other genres or explicit tracks: they did something
    rc, js, _ = run(capsys, "recommend", "--mood", "happy", "-n", "20", "--json")
    unfiltered = [t["track"] for t in json.loads(js)["tracks"]]
    assert any("latin" not in t["genres"] or t["explicit"] is True for t in unfiltered)


def test_recommend_from_a_snapshot_file(capsys, tmp_path):
    snap = MoodSnapshot.from_distribution([0, 0, 0, 0.1, 0.7, 0, 0.2])
    path = tmp_path / "mood.json"
    path.write_text(json.dumps(snap.to_json()))
    rc, out, _ = run(capsys, "recommend", "--snapshot", str(path), "-n", "2", "--json")
    assert rc == 0 and json.loads(out)["mood"]["dominant"] == "sad"


def test_recommend_bad_input_is_a_message_not_a_traceback(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    rc, _, err = run(capsys, "recommend", "--snapshot", str(bad))
    assert rc == 2 and "cannot read the snapshot" in err
    rc, _, err = run(capsys, "recommend", "--mood", "sad", "-n", "0")
    assert rc == 2 and "-n" in err
    rc, _, err = run(capsys, "recommend", "--mood", "sad", "--catalog", str(tmp_path / "none.emocat"))
    assert rc == 2 and "cannot read the catalog" in err
    with pytest.raises(SystemExit):
        main(["recommend", "--mood", "bored"])


def test_catalog_build_import_info(capsys, tmp_path):
    src = tmp_path / "mine.csv"
    src.write_text("Track URI,Track Name,Artist Name(s),Valence,Energy\n"
                   f"spotify:track:{'7' * 22},Mine,Me,0.2,0.3\nbad,Bad,Me,0.2,0.3\n")
    out_file = tmp_path / "mine.emocat"
    rc, out, _ = run(capsys, "catalog", "build", str(src), "--out", str(out_file))
    assert rc == 0 and "1 dropped for an invalid track id" in out and out_file.exists()
    rc, out, _ = run(capsys, "catalog", "info", "--catalog", str(out_file))
    assert rc == 0 and out.startswith("1 tracks")
    rc, out, _ = run(capsys, "catalog", "import", str(src))
    assert rc == 0 and "added 1 tracks" in out
    rc, out, _ = run(capsys, "catalog", "info")
    assert rc == 0 and "user-catalog.emocat" in out
    broken = tmp_path / "broken.csv"
    broken.write_text("Track Name,Energy\nx,0.5\n")
    rc, _, err = run(capsys, "catalog", "import", str(broken))
    assert rc == 2 and "no column for" in err and "Valence" in err


def test_recommend_uses_the_journal_likes_unless_told_not_to(capsys):
    """The window's likes and skips shape the CLI's list too: a track liked for 'sad' far down the list rises
    and says why; --no-journal gives the plain list back. Without a journal, none is created."""
    from emotune.appdirs import AppDirs
    from emotune.journal import JournalStore
    from emotune.journal.store import FILENAME

    dirs = AppDirs.default().ensure()
    _, out, _ = run(capsys, "recommend", "--mood", "sad", "-n", "10", "--json")
    assert not (dirs.data / FILENAME).exists()
    plain = [t["track"] for t in json.loads(out)["tracks"]]
    liked = plain[-1]
    with JournalStore.open(dirs) as store:
        store.record_feedback(liked["id"], liked["artists"], "sad", "like", title=liked["title"])

    _, out, _ = run(capsys, "recommend", "--mood", "sad", "-n", "10", "--json")
    tracks = json.loads(out)["tracks"]
    ranked = [t["track"]["id"] for t in tracks]
    assert ranked.index(liked["id"]) < len(plain) - 1
    assert "liked" in tracks[ranked.index(liked["id"])]["reason"]

    _, out, _ = run(capsys, "recommend", "--mood", "sad", "-n", "10", "--json", "--no-journal")
    assert [t["track"]["id"] for t in json.loads(out)["tracks"]] == [t["id"] for t in plain]


def test_catalog_info_prints_tracks_per_family_and_mood_region(capsys):
    from emotune.core.emotions import EMOTIONS
    from emotune.music.library import load_catalog

    catalog = load_catalog()
    rc, out, _ = run(capsys, "catalog", "info")
    assert rc == 0
    assert int(out.split()[0]) == len(catalog) >= 34000
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("family"))
    assert lines[head].split() == ["family", "tracks", *EMOTIONS]
    rows = {line.split()[0]: line.split()[1:] for line in lines[head + 1:] if line.strip() and ":" not in line
            and not line.startswith("subgenres")}
    assert rows["all"][0] == f"{len(catalog):,}"
    for family, count in catalog.genre_counts().items():
        assert rows[family][0] == f"{count:,}"
    assert "rock: " in out and "hard rock" in out.split("rock: ", 1)[1].splitlines()[0]


def test_recommend_with_a_subgenre_keeps_to_it(capsys):
    rc, out, _ = run(capsys, "recommend", "--mood", "sad", "--genre", "Hard Rock", "-n", "20", "--json")
    assert rc == 0
    data = json.loads(out)
    assert len(data["tracks"]) == 20 and not data["notices"]
    assert all({"rock", "hard rock"} <= set(t["track"]["genres"]) for t in data["tracks"])
