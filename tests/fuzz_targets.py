"""Every file EmoTune reads, as a fuzz target: what is generated for it (hypothesis strategies: mutations of a real
file of that kind, random bytes, odd but valid variants) and what the reader must do with it.

The rule for every reader: it returns something usable (and then it is used, so a reader cannot hand back a
time bomb) or raises its one documented error type with a message. Any other exception, a hang or a crash of
the process is a failure. tests/test_fuzz_readers.py runs each target with a few examples; the campaign
(scripts/fuzz_campaign.py) runs thousands and writes docs/bad-input.md's figures. The inputs and seed files
are in fuzz_inputs.py.
"""
from __future__ import annotations

import io
import json
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from hypothesis import strategies as st

from fuzz_inputs import (CSV_SEED, PROMPT_STATE_IDENTITY, PROMPT_STATE_VOCAB, SETTINGS_SEED, json_values, mutations,
                         odd_images, png_with_size, prompt_state, seed_catalog, seed_cmyk_jpeg, seed_gguf,
                         seed_history, seed_image, seed_journal, seed_prompt_state, seed_token, seed_video,
                         text_mutations)

# -------------------------------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Target:
    """One reader: `strategy` makes an input, `check(input, folder)` feeds it to the reader and returns the
    outcome ("read" or the documented error's name); anything else it raises is a finding."""

    name: str
    reader: str            # what is called, for the table
    error: str             # the documented error type
    strategy: Callable[[Path], st.SearchStrategy]
    check: Callable[[object, Path], str]


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def check_image(sample: tuple[str, bytes], folder: Path) -> str:
    from emotune.capture import CaptureError
    from emotune.capture.sources import read_image

    ext, data = sample
    try:
        image = read_image(_write(folder, "input" + ext, data))
    except CaptureError as exc:
        assert exc.message and "." in exc.message, exc.message
        return type(exc).__name__
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and image.size > 0
    return "read"


def image_inputs(_: Path) -> st.SearchStrategy:
    huge = st.tuples(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1)).map(lambda wh: png_with_size(*wh))
    return st.one_of(
        st.tuples(st.sampled_from([".png", ".jpg"]), st.sampled_from([".png", ".jpg"]).flatmap(
            lambda ext: mutations(seed_image(ext)))),
        st.tuples(st.just(".jpg"), st.booleans().flatmap(lambda ycck: mutations(seed_cmyk_jpeg(ycck)))),
        st.tuples(st.just(".png"), huge),
        odd_images(),
    )


def check_valid_image(sample: tuple[str, bytes], folder: Path) -> str:
    """A valid image in any mode must be read, not refused."""
    assert check_image(sample, folder) == "read"
    return "read"


def check_video(data: bytes, folder: Path) -> str:
    from emotune.capture import CaptureError, VideoFileSource

    source = VideoFileSource(_write(folder, "input.avi", data))
    try:
        source.open()
        frames = 0
        while frames < 50 and (frame := source.read()) is not None:
            assert frame.image.ndim == 3 and frame.image.size > 0
            frames += 1
    except CaptureError as exc:
        assert exc.message
        return type(exc).__name__
    finally:
        source.close()
    return "read"


def check_folder(files: list[tuple[str, bytes]], folder: Path) -> str:
    from emotune.capture import CaptureError, open_source
    from emotune.capture.sources import IMAGE_SUFFIXES, read_image

    images = folder / "images"
    shutil.rmtree(images, ignore_errors=True)
    images.mkdir()
    for i, (ext, data) in enumerate(files):
        _write(images, f"{i:02d}{ext}", data)
    readable = 0
    for path in images.iterdir():
        if path.suffix.lower() not in IMAGE_SUFFIXES:   # not part of a slideshow
            continue
        try:
            read_image(path)
            readable += 1
        except CaptureError:
            pass
    try:
        source = open_source(images)
        source.open()
        shown = set()
        while (frame := source.read()) is not None:
            shown.add(frame.source)
        source.close()
    except CaptureError as exc:
        assert readable == 0, f"{readable} readable images, yet: {exc}"
        return type(exc).__name__
    assert len(shown) == readable   # every readable image is shown, the others skipped
    return "read"


def folder_inputs(_: Path) -> st.SearchStrategy:
    one = st.one_of(odd_images(), st.tuples(st.sampled_from([".png", ".jpg", ".txt"]), mutations(seed_image())))
    return st.lists(one, max_size=5)


def check_history(data: bytes, folder: Path) -> str:
    from emotune.core.history import MoodHistory, MoodHistoryError

    try:
        history = MoodHistory.load(_write(folder, "history.json", data))
    except MoodHistoryError as exc:
        assert str(exc)
        return "MoodHistoryError"
    history.summary()
    json.dumps(history.to_json())
    return "read"


def history_inputs(_: Path) -> st.SearchStrategy:
    seed = seed_history()
    return st.one_of(text_mutations(seed), json_values().map(lambda v: json.dumps(v).encode()),
                     st.dictionaries(st.sampled_from(["dominant", "distribution", "timestamp", "face_count",
                                                      "valence", "trend", "manual", "confidence"]),
                                     json_values(5)).map(lambda d: json.dumps([d]).encode()))


def check_csv(data: bytes, folder: Path) -> str:
    """`emotune catalog import`: a file that cannot be used leaves the stored catalog as it was."""
    from emotune.appdirs import AppDirs
    from emotune.music.catalog import Catalog, CatalogError
    from emotune.music.catalog_build.sources import read_csv_text
    from emotune.music.library import import_csv, user_catalog_path

    dirs = AppDirs.under(folder / "home")
    stored = user_catalog_path(dirs)
    if not stored.exists():
        stored.parent.mkdir(parents=True, exist_ok=True)
        Catalog.from_tracks(read_csv_text(CSV_SEED), source="user").save(stored, compress=False)
    before = stored.read_bytes()
    try:
        report = import_csv([_write(folder, "tracks.csv", data)], dirs)
    except CatalogError as exc:
        assert str(exc)
        assert stored.read_bytes() == before     # nothing stored is lost
        return "CatalogError"
    catalog = Catalog.load(stored)
    assert len(catalog) == report.tracks and len(catalog) >= 3
    stored.write_bytes(before)
    return "read"


def check_csv_build(data: bytes, folder: Path) -> str:
    """`emotune catalog build`: a catalog is written only from files that can be read."""
    from emotune.music.catalog import Catalog, CatalogError
    from emotune.music.library import build_catalog

    out = folder / "built.emocat"
    out.unlink(missing_ok=True)
    try:
        catalog, _ = build_catalog([_write(folder, "tracks.csv", data)], out)
    except CatalogError as exc:
        assert str(exc) and not out.exists()
        return "CatalogError"
    assert len(Catalog.load(out)) == len(catalog)
    return "read"


def csv_inputs(_: Path) -> st.SearchStrategy:
    header = CSV_SEED.splitlines()[0]
    rows = st.lists(st.lists(st.text(max_size=40), min_size=0, max_size=14).map(
        lambda cells: ",".join(json.dumps(c) if "," in c else c for c in cells)), max_size=6)
    return st.one_of(text_mutations(CSV_SEED), rows.map(lambda r: "\n".join([header, *r]).encode("utf-8",
                                                                                               "surrogatepass")),
                     st.just((header + "\n" + "x" * 200_000 + "\n").encode()))


def check_emocat(data: bytes, folder: Path) -> str:
    from emotune.music.catalog import Catalog, CatalogError

    try:
        catalog = Catalog.load(_write(folder, "catalog.emocat", data))
    except CatalogError as exc:
        assert str(exc)
        return "CatalogError"
    for track in catalog.tracks():
        assert isinstance(track.id, str) and isinstance(track.title, str)
    catalog.genre_counts()
    return "read"


def emocat_inputs(_: Path) -> st.SearchStrategy:
    seed = seed_catalog()
    import gzip

    return st.one_of(mutations(seed), mutations(gzip.compress(seed, mtime=0)))


def check_settings(data: bytes, folder: Path) -> str:
    from emotune.gui import settings as keys
    from emotune.gui.settings import Key, Settings

    path = _write(folder, "settings.ini", data)
    settings = Settings.at(path)
    for key in vars(keys).values():
        if isinstance(key, Key):
            value = settings.get(key)
            assert isinstance(value, type(key.default)), (key.name, value)
    settings.preferences()
    return "read"


def settings_inputs(_: Path) -> st.SearchStrategy:
    from emotune.gui import settings as keys
    from emotune.gui.settings import Key

    names = sorted(k.name for k in vars(keys).values() if isinstance(k, Key))
    values = st.one_of(st.text(max_size=30), st.integers(-2**80, 2**80).map(str), st.just("1e999"),
                       st.just("a, b, c"), st.just("@ByteArray(\\0\\xff)"), st.just("@Variant(\\0\\0\\0\\x7f)"))
    lines = st.lists(st.tuples(st.sampled_from(names), values), max_size=12).map(
        lambda kv: "".join("[{}]\n{}={}\n".format(*k.split("/", 1), v) for k, v in kv))
    return st.one_of(text_mutations(SETTINGS_SEED), lines.map(lambda t: t.encode("utf-8", "surrogatepass")))


def check_gguf(data: bytes, folder: Path) -> str:
    from emotune.llm.model_files.gguf import GGUFError, read_gguf_info

    try:
        info = read_gguf_info(_write(folder, "model.gguf", data))
    except GGUFError as exc:
        assert str(exc)
        return "GGUFError"
    assert info.version in (2, 3) and info.file_size == len(data)
    return "read"


def gguf_inputs(_: Path) -> st.SearchStrategy:
    return mutations(seed_gguf())


def check_journal(data: bytes, folder: Path) -> str:
    """A journal file damaged on disk: it opens (moved aside when unusable, never deleted) or says why; what it
    holds can be exported."""
    from emotune.appdirs import AppDirs
    from emotune.journal import JournalError, JournalStore
    from emotune.journal.export import export_csv, export_json

    home = folder / f"journal-{zlib.crc32(data):08x}"
    shutil.rmtree(home, ignore_errors=True)
    (home / "data").mkdir(parents=True)
    db = _write(home / "data", "journal.sqlite3", data)
    try:
        store = JournalStore.open(AppDirs.under(home))
    except JournalError as exc:
        assert exc.user_text and db.read_bytes() == data      # refused: left exactly as it was
        return type(exc).__name__
    try:
        if store.notice:   # moved aside: the damaged file is kept, byte for byte, for the user
            kept = [p for p in (home / "data").iterdir() if p.name != "journal.sqlite3"]   # .corrupt-, .v9-, …
            assert any(p.read_bytes() == data for p in kept) or not data, kept
        try:
            export_json(store, io.StringIO())
            export_csv(store, io.StringIO())
            store.counts()
        except JournalError as exc:
            assert exc.user_text
            return type(exc).__name__
        return "moved aside" if store.notice else "read"
    finally:
        store.close()
        shutil.rmtree(home, ignore_errors=True)


def journal_inputs(_: Path) -> st.SearchStrategy:
    return mutations(seed_journal())


def check_token(data: bytes, folder: Path) -> str:
    from spotipy.oauth2 import SpotifyAuthBase

    from emotune.music.spotify.auth import SecureTokenCache

    cache = SecureTokenCache(_write(folder, "spotify-token.json", data))
    token = cache.get_cached_token()
    if token is None:
        return "ignored (log in again)"
    SpotifyAuthBase.is_token_expired(token)          # what spotipy does with a cached token before using it
    SpotifyAuthBase._is_scope_subset("user-read-private", token.get("scope"))
    return "read"


def token_inputs(_: Path) -> st.SearchStrategy:
    fields = st.fixed_dictionaries({"access_token": json_values(3)},
                                   optional={"expires_at": json_values(3), "refresh_token": json_values(3),
                                             "scope": json_values(3), "token_type": json_values(3)})
    return st.one_of(text_mutations(seed_token()), fields.map(lambda d: json.dumps(d).encode()))


def check_prompt_state(data: bytes, folder: Path) -> str:
    """The prompt-state file's check, before llama.cpp reads any of it: only an intact file, written for this
    model, context size and build, within the context and the vocabulary, is read."""
    from emotune.llm.runtime.prompt_state_file import PromptStateError, decode

    try:
        state = decode(data, PROMPT_STATE_IDENTITY, capacity=64, n_vocab=PROMPT_STATE_VOCAB, name="x.prompt-state")
    except PromptStateError as exc:
        assert str(exc).startswith("x.prompt-state "), str(exc)
        return "PromptStateError"
    assert prompt_state(state.tokens, state.data) == data     # read only as written, byte for byte
    return "read"


def prompt_state_inputs(_: Path) -> st.SearchStrategy:
    tokens = st.lists(st.integers(-2**31, 2**31 - 1), max_size=80)
    valid_tokens = st.lists(st.integers(0, PROMPT_STATE_VOCAB - 1), min_size=1, max_size=64)
    return st.one_of(
        mutations(seed_prompt_state()),
        st.tuples(valid_tokens, st.binary(min_size=1, max_size=512)).map(lambda t: prompt_state(*t)),
        st.tuples(tokens, st.binary(max_size=512)).map(lambda t: prompt_state(*t)),   # out of range, none, too many
        st.tuples(st.text(max_size=60), st.binary(min_size=1, max_size=64)).map(   # another model, ctx or build
            lambda t: prompt_state([1, 2, 3], t[1], identity=t[0])),
    )


TARGETS: tuple[Target, ...] = (
    Target("images", "capture.sources.read_image (and `emotune detect`)", "SourceUnavailable", image_inputs,
           check_image),
    Target("images, valid odd modes", "read_image on 1-64 px, 8/16-bit, grey/BGR/BGRA/CMYK/YCCK, 5 formats", "(none)",
           lambda _: odd_images(), check_valid_image),
    Target("videos", "capture.sources.VideoFileSource", "SourceUnavailable", lambda f: mutations(seed_video(f)),
           check_video),
    Target("folders", "capture.open_source(folder) slideshow", "SourceUnavailable", folder_inputs, check_folder),
    Target("mood-history JSON", "core.history.MoodHistory.load", "MoodHistoryError", history_inputs,
           check_history),
    Target("catalog CSV (import)", "music.library.import_csv", "CatalogError", csv_inputs, check_csv),
    Target("catalog CSV (build)", "music.library.build_catalog", "CatalogError", csv_inputs, check_csv_build),
    Target(".emocat", "music.catalog.Catalog.load", "CatalogError", emocat_inputs, check_emocat),
    Target("settings.ini", "gui.settings.Settings.get / preferences", "(none: defaults)", settings_inputs,
           check_settings),
    Target("GGUF header", "llm.model_files.gguf.read_gguf_info", "GGUFError", gguf_inputs, check_gguf),
    Target("journal database", "journal.JournalStore.open + export", "JournalError", journal_inputs,
           check_journal),
    Target("Spotify token cache", "music.spotify.auth.SecureTokenCache", "(none: log in again)", token_inputs,
           check_token),
    Target("prompt-state file", "llm.runtime.prompt_state_file.decode (before llama.cpp reads it)",
           "PromptStateError", prompt_state_inputs, check_prompt_state),
)
