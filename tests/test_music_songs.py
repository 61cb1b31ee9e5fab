"""One row per song and genres by consensus (emotune.music.songs, emotune.music.catalog_build.consensus), on small
tracks written out by hand: what merges, what stays apart, which id is kept, which label wins."""
from __future__ import annotations

from emotune.music.catalog_build.consensus import apply_consensus, artist_genres
from emotune.music.songs import artist_keys, merge_songs, recording_key, same_song, title_key
from emotune.music.track import Track


def _t(i: int, title: str, artists: tuple[str, ...], ms: int = 200_000, pop: int = 50, genres=(), playlist="",
       **kw) -> Track:
    return Track(id=f"{i:022d}", title=title, artists=artists, duration_ms=ms, popularity=pop,
                 genres=tuple(genres), playlist=playlist, valence=0.5, energy=0.5, **kw)


def test_title_and_artist_keys_drop_what_does_not_make_another_song():
    assert title_key("Hey Mama (feat. Nicki Minaj, Bebe Rexha & Afrojack)") == title_key("Hey Mama") == "hey mama"
    assert title_key("Bohemian Rhapsody - Remastered 2011") == "bohemian rhapsody"
    assert title_key("Goodnight Saigon - Live at Yankee Stadium, Bronx, NY - June 1990") == "goodnight saigon"
    assert title_key("Stay With Me feat. Mary J. Blige") == "stay with me"
    assert title_key("Café del Mar") == title_key("CAFE DEL MAR")
    assert title_key("Part 1 - Intro") == "part 1 intro"            # a dash that is part of the name stays
    assert artist_keys(["David Guetta Featuring Nicki Minaj, Bebe Rexha & Afrojack"]) == [
        "david guetta", "nicki minaj", "bebe rexha", "afrojack"]
    assert artist_keys(["The Beatles"]) == ["beatles"]
    assert same_song("Hey Mama", ["David Guetta Featuring Nicki Minaj"], "Hey Mama (feat. Afrojack)",
                     ["David Guetta", "Afrojack"])
    assert not same_song("Hello", ["Adele"], "Hello", ["Lionel Richie"])
    # one song, two recordings: a remix, a live cut, an instrumental are never merged at build time
    assert recording_key("Mushrooms (Justin Martin Remix)") != recording_key("Mushrooms - Salt City Orchestra Mix")
    assert recording_key("Goldilocks - Instrumental") != recording_key("Goldilocks")
    assert recording_key("Hey Mama - Remastered 2011") == recording_key("Hey Mama (feat. Afrojack)")


def test_rows_of_one_recording_merge_into_the_best_known_id_and_others_stay_apart():
    rows = [
        _t(1, "Hey Mama", ("David Guetta Featuring Nicki Minaj, Bebe Rexha & Afrojack",), 192_000, pop=-1),
        _t(2, "Hey Mama (feat. Nicki Minaj, Bebe Rexha & Afrojack)", ("David Guetta", "Afrojack"), 192_560, pop=75,
           genres=("electronic",), year=2015),
        _t(3, "Hey Mama - Remastered", ("David Guetta",), 195_000, pop=40, genres=("pop",), album="Listen Again"),
        _t(4, "Hey Mama - Extended Mix", ("David Guetta",), 330_000, pop=30),     # another recording: far longer
        _t(5, "Hey Mama", ("Kanye West",), 305_000, pop=60),                       # another song
        _t(6, "Hey Mama - Acoustic", ("David Guetta",), 193_000, pop=20),           # another recording
    ]
    tracks, merges = merge_songs(rows)
    assert sorted(t.id for t in tracks) == [f"{i:022d}" for i in (2, 4, 5, 6)]
    (merge,) = merges
    assert merge.kept.id == f"{2:022d}" and {t.id for t in merge.dropped} == {f"{1:022d}", f"{3:022d}"}
    kept = next(t for t in tracks if t.id == merge.kept.id)
    assert kept.popularity == 75 and set(kept.genres) == {"electronic", "pop"} and kept.year == 2015
    assert kept.album == "Listen Again" and kept.title.startswith("Hey Mama (feat.")
    assert merge_songs(list(reversed(rows)))[0] == tracks          # the same rows in any order: the same result


def test_an_artist_is_known_for_what_most_rows_say_and_one_odd_playlist_is_not_enough():
    rows = [
        # Vanessa Carlton: two pop playlists and one blues playlist -> pop
        _t(1, "A Thousand Miles", ("Vanessa Carlton",), genres=("pop", "soft pop"), playlist="Soft Pop Hits"),
        _t(1, "A Thousand Miles", ("Vanessa Carlton",), genres=("blues", "classic blues"), playlist="Classic Blues"),
        _t(1, "A Thousand Miles", ("Vanessa Carlton",), genres=("pop", "post-teen pop"), playlist="post teen pop"),
        _t(2, "A Thousand Miles - Acoustic", ("Vanessa Carlton",)),
        # Enya: one blues playlist only -> no family (nobody else says so)
        _t(3, "Only Time", ("Enya",), genres=("blues", "classic blues"), playlist="Classic Blues"),
        # a genre-labelled source (no playlist) is enough on its own
        _t(4, "So What", ("Miles Davis",), genres=("jazz",)),
    ]
    artists = artist_genres(rows)
    assert artists["vanessa carlton"].families == ("pop",)
    assert artists["enya"].families == () and artists["miles davis"].families == ("jazz",)
    merged = [rows[0], rows[3], rows[4], rows[5]]
    tracks, report = apply_consensus(merged, rows)
    by_id = {t.id[-1]: t for t in tracks}
    assert by_id["1"].genres == ("pop", "post-teen pop", "soft pop")
    assert by_id["2"].genres == ("pop", "post-teen pop", "soft pop")          # untagged: the artist's families
    assert by_id["3"].genres == () and by_id["4"].genres == ("jazz",)
    assert report.inferred == 1 and report.weak_tags >= 1 and "re-tagged" in report.lines()[0]
