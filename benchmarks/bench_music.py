"""The offline recommender's speed and the catalog's cost, on the shipped catalog and on a synthetic
1,000,000-track catalog (a large personal library merged with public sets), measured side by side in one run.

Rows: catalog load (time, file size, memory held), building the Recommender, and one recommendation (median
and p95 over every emotion × match/lift, plus with genre+language filters and a refresh session), each with
its ratio to the goal (issue 6: < 10 ms shipped, < 150 ms at a million). A naive pure-Python scan over Track
objects (what a first version would write) runs on the shipped catalog beside it, for the speed-up.

Run: `python -m benchmarks music` (about a minute; BENCH_MUSIC_TRACKS changes the synthetic size).
"""
from __future__ import annotations

import gc
import math
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

SYNTHETIC = int(os.environ.get("BENCH_MUSIC_TRACKS", "1000000"))
REPEAT = 5              # each request's time is the best of REPEAT runs: the machine is shared, the minimum is
                        # what the code costs, the rest is other processes' time slices
GOAL_MS = {"shipped": 10.0, "synthetic": 150.0}
ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)


def synthetic_catalog(n: int, like, seed: int = 7):
    """A catalog of `n` tracks whose features follow the shipped catalog's (bootstrapped, jittered), with
    n/5 artists, the shipped genres and languages, built straight into columns (no Track objects)."""
    from emotune.music.catalog import Catalog, Ragged, StringColumn

    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 62, size=(n, 22), dtype=np.uint8)
    ids = np.unique(ALPHABET[raw].view("S22").reshape(-1))
    n = len(ids)
    src = rng.integers(0, len(like), size=n)
    feats = np.nan_to_num(like.features[src], nan=0.5) + rng.normal(0, 0.03, size=(n, 4)).astype(np.float32)
    n_artists = max(1, n // 5)
    artist_ptr = np.arange(n + 1, dtype=np.int64)
    artist_ids = rng.integers(0, n_artists, size=n).astype("<u4")
    has_genre = rng.random(n) < 0.3
    genre_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(has_genre, out=genre_ptr[1:])
    genre_ids = rng.integers(0, len(like.genre_names), size=int(has_genre.sum())).astype("<u2")
    titles = StringColumn.of(f"Track {i}" for i in range(n))
    names = StringColumn.of(f"Artist {i:07d}" for i in range(n_artists))
    return Catalog(
        ids=ids, titles=titles, albums=StringColumn.of("" for _ in range(n)),
        artists=Ragged(artist_ptr, artist_ids), artist_names=names, genres=Ragged(genre_ptr, genre_ids),
        genre_names=like.genre_names, language=like.language[src], language_names=like.language_names,
        year=like.year[src], popularity=like.popularity[src], explicit=like.explicit[src],
        features=np.clip(feats, 0, 1).astype(np.float32), tempo=like.tempo[src], source=f"synthetic {n}")


def timed(fn, repeat: int) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, result


def held_mb(fn) -> tuple[float, object]:
    """Memory still allocated after fn() returns (what the loaded catalog keeps), by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = fn()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return held / 2**20, result


def naive_recommend(tracks, point, n: int = 10) -> list:
    """What a first version does: a Python loop over every Track, a sort, then skip repeated artists."""
    w = (1.0, 1.0, 0.35, 0.35)
    scored = []
    for t in tracks:
        feats = (t.valence, t.energy, t.danceability, t.acousticness)
        d = math.sqrt(sum(wi * ((0.5 if f != f else f) - p) ** 2 for wi, f, p in zip(w, feats, point)))
        scored.append((d - 0.04 * (t.popularity - 50) / 100 if t.popularity >= 0 else d, t))
    scored.sort(key=lambda x: x[0])
    out, artists = [], set()
    for _, t in scored:
        if t.artists[0] not in artists:
            out.append(t)
            artists.add(t.artists[0])
        if len(out) == n:
            break
    return out


def requests_for(catalog):
    from emotune.core.emotions import EMOTIONS
    from emotune.core.mood import MoodSnapshot
    from emotune.music.recommender import RecommendationRequest

    plain = [RecommendationRequest(MoodSnapshot.manual_mood(e), m, n=10) for e in EMOTIONS for m in ("match", "lift")]
    genre = catalog.genres()[0] if catalog.genres() else "pop"
    filtered = [RecommendationRequest(MoodSnapshot.manual_mood(e), "match", n=10, genres=(genre, "pop"),
                                      languages=("en",), allow_explicit=False) for e in EMOTIONS]
    return plain, filtered


def measure(name: str, catalog, load_ms: float, file_bytes: int, mem_mb: float) -> list[tuple]:
    from emotune.music.recommender import RecommendationSession, Recommender

    build_ms, rec = timed(lambda: Recommender(catalog), 1)
    plain, filtered = requests_for(catalog)
    rec.recommend(plain[0])                                        # warm-up (first-call allocations)
    t_plain = [min(timed(lambda q=q: rec.recommend(q), REPEAT)[0]) for q in plain]
    t_filt = [min(timed(lambda q=q: rec.recommend(q), REPEAT)[0]) for q in filtered]
    session = RecommendationSession()
    t_refresh = timed(lambda: rec.recommend(plain[0], session), 10)[0]
    goal = GOAL_MS[name]
    med = statistics.median(t_plain)
    p95 = sorted(t_plain)[int(0.95 * (len(t_plain) - 1))]
    return [
        (name, "tracks", f"{len(catalog):,}", "", ""),
        (name, "file size", f"{file_bytes / 2**20:.2f} MiB", "", ""),
        (name, "load", f"{load_ms:.1f} ms", "", ""),
        (name, "memory held after load", f"{mem_mb:.1f} MiB", "", ""),
        (name, "Recommender()", f"{build_ms[0]:.1f} ms", "", ""),
        (name, "recommend, median (14 requests)", f"{med:.2f} ms", f"{goal:.0f} ms", f"{med / goal:.2f}"),
        (name, "recommend, p95", f"{p95:.2f} ms", f"{goal:.0f} ms", f"{p95 / goal:.2f}"),
        (name, "recommend, genre+language+no-explicit", f"{statistics.median(t_filt):.2f} ms", f"{goal:.0f} ms",
         f"{statistics.median(t_filt) / goal:.2f}"),
        (name, "refresh ×10 in a session, median", f"{statistics.median(t_refresh):.2f} ms", f"{goal:.0f} ms",
         f"{statistics.median(t_refresh) / goal:.2f}"),
    ]


def main() -> None:
    from emotune.core.mood import MoodSnapshot
    from emotune.music.catalog import Catalog
    from emotune.music.library import shipped_catalog_path
    from emotune.music.mood_target import match_point

    rows: list[tuple] = []
    shipped_path = shipped_catalog_path()
    load_ms, shipped = timed(lambda: Catalog.load(shipped_path), 5)
    mem, _ = held_mb(lambda: Catalog.load(shipped_path))
    rows += measure("shipped", shipped, statistics.median(load_ms), shipped_path.stat().st_size, mem)

    # the naive scan, side by side on the same catalog and the same request
    from emotune.music.recommender import RecommendationRequest, Recommender

    tracks = list(shipped.tracks())
    point = tuple(match_point(MoodSnapshot.manual_mood("sad").distribution))
    naive_ms = min(timed(lambda: naive_recommend(tracks, point), 3)[0])
    rec = Recommender(shipped)
    request = RecommendationRequest(MoodSnapshot.manual_mood("sad"), "match", n=10)
    fast_ms = min(timed(lambda: rec.recommend(request), 5)[0])
    rows.append(("shipped", "naive Python scan (same request)", f"{naive_ms:.1f} ms", f"{fast_ms:.2f} ms",
                 f"{naive_ms / fast_ms:.0f}× slower"))

    t0 = time.perf_counter()
    big = synthetic_catalog(SYNTHETIC, shipped)
    make_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.emocat"
        big.save(path, compress=False)
        del big
        gc.collect()
        load_ms, big = timed(lambda: Catalog.load(path), 3)
        mem, _ = held_mb(lambda: Catalog.load(path))
        rows += measure("synthetic", big, statistics.median(load_ms), path.stat().st_size, mem)
        # what every start does when a user has imported a big library: merge it over the shipped catalog
        from emotune.music.merge import merge_catalogs

        merge_ms = min(timed(lambda: merge_catalogs([shipped, big]), 2)[0])
        rows.append(("synthetic", "merge over the shipped catalog (startup)", f"{merge_ms:.0f} ms", "", ""))
        per_track_ms = min(timed(lambda: Catalog.from_tracks(big.track(i) for i in range(20_000)), 1)[0]) / 20_000
        rows.append(("synthetic", "… the same via Track objects (estimate)", f"{per_track_ms * len(big):.0f} ms",
                     f"{merge_ms:.0f} ms", f"{per_track_ms * len(big) / merge_ms:.0f}× slower"))

    width = [max(len(str(r[i])) for r in rows + [HEADER]) for i in range(5)]
    for r in [HEADER] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, width)))
    print(f"(synthetic catalog generated in {make_s:.1f} s; ratio = measured / goal, below 1 meets the goal; "
          f"load average during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


HEADER = ("catalog", "what", "measured", "goal / beside", "ratio")

if __name__ == "__main__":
    main()
