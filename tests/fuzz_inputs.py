"""What the fuzz targets (fuzz_targets.py) feed the readers: hypothesis strategies that damage a file the ways
files get damaged, odd but valid images, and a real seed file of every kind EmoTune reads."""
from __future__ import annotations

import json
import struct
import tempfile
import zlib
from pathlib import Path

import cv2
import numpy as np
from hypothesis import strategies as st

from cmyk_jpeg import bgr_to_cmyk, encode_cmyk_jpeg

# ------------------------------------------------------------------------------------------------ strategies


def mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """A real file damaged the ways files get damaged: cut short, bytes flipped, a run zeroed, the magic
    replaced, garbage appended, emptied; and plain random bytes."""
    n = max(1, len(seed))

    def flip(edits: list[tuple[int, int]]) -> bytes:
        data = bytearray(seed)
        for pos, value in edits:
            if data:
                data[pos % len(data)] = value
        return bytes(data)

    return st.one_of(
        st.integers(0, len(seed)).map(lambda k: seed[:k]),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 255)), min_size=1, max_size=24).map(flip),
        st.tuples(st.integers(0, n - 1), st.integers(1, 4096)).map(
            lambda t: seed[:t[0]] + bytes(min(t[1], len(seed) - t[0])) + seed[t[0] + t[1]:]),
        st.binary(min_size=4, max_size=4).map(lambda m: m + seed[4:]),
        st.binary(min_size=1, max_size=2048).map(lambda tail: seed + tail),
        st.just(b""),
        st.binary(max_size=4096),
    )


def text_mutations(seed: str) -> st.SearchStrategy[bytes]:
    """A text file damaged, or saved in another encoding, or random text."""
    encodings = st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252", "utf-8-sig", "shift_jis"])
    return st.one_of(
        mutations(seed.encode("utf-8")),
        encodings.map(lambda enc: seed.encode(enc, errors="replace")),
        st.text(max_size=2000).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
        st.integers(0, len(seed)).map(lambda k: seed[:k].encode("utf-8")),
    )


def json_values(max_leaves: int = 30) -> st.SearchStrategy:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                         st.dictionaries(st.text(max_size=12), inner, max_size=6)),
                        max_leaves=max_leaves)


def png_with_size(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    """A PNG whose header claims `width` x `height` and whose data is one empty row: what a damaged or hostile
    file with "huge dimensions" looks like to a decoder."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


@st.composite
def odd_images(draw) -> tuple[str, bytes]:
    """Valid images in every mode OpenCV writes (1x1 to 64x64, 8 or 16 bit, grey, BGR or BGRA, in each format),
    and CMYK and YCCK JPEGs, which it cannot write (tests/cmyk_jpeg.py)."""
    w, h = draw(st.integers(1, 64)), draw(st.integers(1, 64))
    channels = draw(st.sampled_from([1, 3, 4]))
    ext = draw(st.sampled_from([".png", ".jpg", ".bmp", ".tif", ".webp", "cmyk", "ycck"]))
    if ext in ("cmyk", "ycck"):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        cmyk = rng.integers(0, 255, size=(h, w, 4), endpoint=True).astype(np.uint8)
        return ".jpg", encode_cmyk_jpeg(cmyk, quality=draw(st.integers(1, 100)), ycck=ext == "ycck")
    depth = np.uint16 if ext in (".png", ".tif") and draw(st.booleans()) else np.uint8
    if ext == ".jpg" and channels == 4:
        channels = 3
    top = 65535 if depth is np.uint16 else 255
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = rng.integers(0, top, size=(h, w, channels), endpoint=True).astype(depth)
    ok, data = cv2.imencode(ext, image)
    assert ok
    return ext, data.tobytes()


# ----------------------------------------------------------------------------------------------- the seeds


def seed_image(ext: str = ".png") -> bytes:
    image = np.zeros((48, 64, 3), np.uint8)
    cv2.circle(image, (32, 24), 16, (40, 180, 220), -1)
    return cv2.imencode(ext, image)[1].tobytes()


def seed_cmyk_jpeg(ycck: bool = False) -> bytes:
    """The seed image as a print-shop JPEG: 4 channels, Adobe marker (YCCK: colour-transformed)."""
    image = cv2.imdecode(np.frombuffer(seed_image(), np.uint8), cv2.IMREAD_COLOR)
    return encode_cmyk_jpeg(bgr_to_cmyk(image), ycck=ycck)


def seed_video(folder: Path) -> bytes:
    path = folder / "seed.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (32, 24))
    for i in range(4):
        writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
    writer.release()
    return path.read_bytes()


def seed_history() -> str:
    from emotune.core.history import MoodHistory
    from emotune.core.mood import MoodSnapshot

    snaps = [MoodSnapshot.manual_mood(m) for m in ("happy", "sad", "neutral")]
    return json.dumps(MoodHistory(snaps, max_age_s=float("inf")).to_json())


CSV_SEED = ("track_id,track_name,track_artist,track_album_name,track_album_release_date,track_popularity,"
            "playlist_genre,playlist_subgenre,valence,energy,danceability,tempo\n"
            "6rqhFgbbKwnb9MLmUQDhG6,Blue Evening,Ana Ruiz,Night Songs,2019-06-01,55,pop,indie poptimism,0.31,0.42,"
            "0.5,96.0\n"
            "0VjIjW4GlUZAMYd2vXMi3b,Blinding Lights,The Weeknd,After Hours,2020-03-20,91,r&b,new jack swing,0.33,0.73,"
            "0.51,171.0\n"
            "4uLU6hMCjMI75M1A2tKUQC,Übermut,Jörg & Søren,Café,8/16/24,NA,latin,reggaeton,0.9,0.8,0.7,120\n")


def seed_catalog() -> bytes:
    from emotune.music.catalog import Catalog
    from emotune.music.catalog_build.sources import read_csv_text

    return Catalog.from_tracks(read_csv_text(CSV_SEED), source="seed").to_bytes(compress=False)


SETTINGS_SEED = ("[capture]\ncamera_index=0\nlast_source=/home/me/clip.mp4\n[inference]\ninterval_ms=200\n"
                 "[llm]\ntime_budget_s=30\nseed=1\n[music]\ngenres=pop, rock\nlanguages=en\nno_explicit=true\n"
                 "mode=match\n[spotify]\nredirect_port=8888\n[ui]\ngeometry=@ByteArray(\\x1\\xd9\\xd0\\xcb)\n")


def seed_gguf(values: int = 8, stored: int | None = None) -> bytes:
    """A small GGUF v3: two metadata keys and one F32 tensor of `values` floats. Only `stored` of them are
    written when given, which makes the file truncated the way an interrupted download is."""
    def s(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    kv = s("general.architecture") + struct.pack("<I", 8) + s("llama")
    kv += s("llama.context_length") + struct.pack("<I", 4) + struct.pack("<I", 2048)
    tensor = s("token_embd.weight") + struct.pack("<I", 1) + struct.pack("<Q", values) + struct.pack("<I", 0)
    tensor += struct.pack("<Q", 0)
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 2) + kv + tensor
    head += bytes(-len(head) % 32)
    return head + np.arange(values if stored is None else stored, dtype=np.float32).tobytes()


def seed_token() -> str:
    return json.dumps({"access_token": "BQ-test", "token_type": "Bearer", "expires_in": 3600,
                       "expires_at": 1_900_000_000, "refresh_token": "AQ-test", "scope": "user-read-private"})


_JOURNAL_SEED: list[bytes] = []


def seed_journal() -> bytes:
    if not _JOURNAL_SEED:
        from emotune.appdirs import AppDirs
        from emotune.core.mood import MoodSnapshot
        from emotune.journal import JournalStore

        with tempfile.TemporaryDirectory() as tmp:
            with JournalStore.open(AppDirs.under(Path(tmp))) as store:
                sid = store.start_session("seed")
                for mood in ("happy", "sad", "neutral"):
                    store.record_snapshot(MoodSnapshot.manual_mood(mood), sid)
                store.record_feedback("6rqhFgbbKwnb9MLmUQDhG6", "Ana Ruiz", "sad", "like", title="Blue Evening")
            _JOURNAL_SEED.append((Path(tmp) / "data" / "journal.sqlite3").read_bytes())
    return _JOURNAL_SEED[0]


PROMPT_STATE_IDENTITY = "/models/SmolLM2-135M-Instruct.Q4_1.gguf|100000000|1733300000000000000|2048|0.3.36"
PROMPT_STATE_VOCAB = 49152


def prompt_state(tokens, data: bytes, identity: str = PROMPT_STATE_IDENTITY) -> bytes:
    from emotune.llm.runtime.prompt_state_file import PromptState, encode

    return encode(identity, PromptState(tuple(tokens), data))


def seed_prompt_state() -> bytes:
    """A small state as EmoTune writes it: 40 tokens, 2 KB of (stand-in) llama.cpp state data."""
    return prompt_state(range(1, 41), np.random.default_rng(26).bytes(2048))
