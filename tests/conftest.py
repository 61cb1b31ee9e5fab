"""Shared fixtures. Tests never touch the user's real settings or data: EMOTUNE_HOME points at a temp folder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EMOTUNE_SHARED", REPO.parent / "shared"))
FER_DIR = SHARED / "datasets" / "fer2013"
LLM_SEED = 1   # the GUI tests' sampling seed (their moods come from real frames, so the prompt varies a little)
MUSIC_DIR = SHARED / "datasets" / "music"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("emotune-home")
    monkeypatch.setenv("EMOTUNE_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _gui_thread_gc(request):
    """A Qt test collects cycles on its GUI thread only, as the app does (emotune.gui.gui_thread_gc): a window
    an earlier test dropped must not be destroyed in this test's capture or LLM thread. Torn down last, it
    ends with one full collection here, which takes the test's own windows with it."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    from emotune.gui.gui_thread_gc import GuiThreadCollector

    request.getfixturevalue("qapp")
    collector = GuiThreadCollector().start()
    yield
    collector.stop()


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} not found at {path}: set EMOTUNE_SHARED to the folder holding datasets/")
    return path


@pytest.fixture(scope="session")
def gguf() -> Path:
    """The default language model (the real GGUF the app ships); its tests skip, saying how, when it is absent."""
    from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME
    from emotune.resources import models_dir

    path = models_dir() / DEFAULT_MODEL_NAME
    if not path.exists():
        pytest.skip(f"{path} missing: run `make install` to fetch the default model")
    return path


@pytest.fixture(scope="session")
def fer_dir() -> Path:
    """The FER2013 image folders (../shared/datasets/fer2013); tests that need them skip with a reason."""
    return _require(FER_DIR, "FER2013 data")


@pytest.fixture(scope="session")
def music_dir() -> Path:
    return _require(MUSIC_DIR, "music datasets")


def fer_test_faces(fer_dir: Path, per_class: int, split: str = "PrivateTest") -> list[tuple[Path, str]]:
    """A fixed, sorted sample of `per_class` faces per emotion from the given split of test/."""
    out = []
    for class_dir in sorted((fer_dir / "test").iterdir()):
        files = sorted(class_dir.glob(f"{split}_*"))[:per_class]
        out += [(f, class_dir.name) for f in files]
    return out


def compose_frame(faces: list[np.ndarray], size: tuple[int, int] = (640, 480), face_px: int = 160) -> np.ndarray:
    """A BGR frame with each gray face image scaled to `face_px` and pasted side by side on a plain
    background, the way a webcam would see people at arm's length."""
    import cv2

    w, h = size
    frame = np.full((h, w, 3), 90, np.uint8)
    x = 40
    for face in faces:
        big = cv2.resize(face, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
        if big.ndim == 2:
            big = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
        y = (h - face_px) // 2
        frame[y:y + face_px, x:x + face_px] = big
        x += face_px + 40
    return frame


@pytest.fixture
def window_factory(qtbot, tmp_path):
    """Builds windows through the app's own composition root (emotune.gui.app.build) with test defaults: no
    camera probe, the given (already loaded) classifier, no journal unless asked. Every window is closed at
    the end, and every thread of it must then end."""
    from emotune.gui import settings as keys
    from emotune.gui.app import build
    from emotune.gui.settings import Settings

    made = []

    def make(*, classifier, interval_ms: int, settings=None, **overrides):
        settings = settings or Settings.at(tmp_path / "settings.ini")
        settings.set(keys.INFERENCE_INTERVAL_MS, interval_ms)
        # tests require the model's own analysis; the 30 s budget would hand it to the fallback on a busy machine
        settings.set(keys.LLM_TIME_BUDGET_S, 900)
        settings.set(keys.LLM_SEED, LLM_SEED)   # the same mood gets the same words from run to run
        options = dict(camera_probe=None, classifier_factory=lambda: classifier, journal=False)
        parts = build(settings, **(options | overrides))
        qtbot.addWidget(parts.window)
        parts.window.show()
        made.append(parts)
        return parts

    yield make
    for parts in made:
        parts.window.close()   # returns at once: the threads end on their own, joined in the GUI thread's loop
        qtbot.waitUntil(lambda parts=parts: parts.threads_running() == [], timeout=120000)


@pytest.fixture
def fed_to_fit(monkeypatch) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (pictures, targets) of every `keras.Model.fit` call the test makes, recorded before the real fit runs."""
    import keras

    fed: list[tuple[np.ndarray, np.ndarray]] = []
    fit = keras.Model.fit

    def spy(self, x=None, y=None, **kwargs):
        fed.append((np.asarray(x), np.asarray(y)))
        return fit(self, x, y, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    return fed


@pytest.fixture
def dirs(tmp_path):
    """The app's folders (settings, data, cache) under a fresh temp home, created."""
    from emotune.appdirs import AppDirs

    return AppDirs.under(tmp_path / "home").ensure()


@pytest.fixture(scope="module")
def classifier():
    """One real emotion model (the shipped ONNX) per test module, shared by that module's windows (a module may
    define its own)."""
    from emotune.gui.app import default_classifier

    clf = default_classifier()
    clf.load()
    return clf


@pytest.fixture(scope="session")
def window_prompt_state(tmp_path_factory) -> Path | None:
    """A folder holding the window's evaluated fixed prompt (instructions, the built-in catalog's genres, a
    worked example), made once per session by the app's own load and warm-up (emotune.llm.runtime.prompt_cache);
    None without the default GGUF. Evaluating it is the costliest step of a fresh model on a small machine, so
    tests about something else than that first evaluation start from it, as the app's second run does
    (`with_prompt_state`); the first-run path keeps its own tests (the self-tests, test_privacy)."""
    from emotune.appdirs import AppDirs
    from emotune.gui.services.engines import make_analyst, make_music
    from emotune.gui.settings import Settings
    from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME
    from emotune.resources import models_dir

    if not (models_dir() / DEFAULT_MODEL_NAME).is_file():
        return None
    root = tmp_path_factory.mktemp("window-prompt-state")
    dirs = AppDirs.under(root / "home").ensure()
    prefs = Settings.at(root / "settings.ini").preferences()
    music = make_music(prefs, dirs)
    service = make_analyst(prefs, dirs, genres=music.genres)
    assert service.load(lambda message: None) == DEFAULT_MODEL_NAME
    service.close()
    states = dirs.cache / "llm"
    assert len(list(states.iterdir())) == 1, list(states.iterdir())
    return states


def with_prompt_state(home: Path, states: Path | None) -> Path:
    """Puts the session's evaluated window prompt (`window_prompt_state`) where the app run with EMOTUNE_HOME
    `home` looks for it, as if an earlier run had left it there."""
    if states is not None:
        shutil.copytree(states, home / "cache" / "llm", dirs_exist_ok=True)
    return home


@pytest.fixture(scope="module")
def prompt_states(tmp_path_factory) -> Path:
    """The folder where the module's analyst kept its evaluated fixed prompt (see `analyst`)."""
    return tmp_path_factory.mktemp("prompt-states")


@pytest.fixture(scope="module")
def analyst(gguf, prompt_states):
    """The module's model, warmed up once: its evaluated fixed prompt (~1,000 tokens, the costliest step of a
    fresh model on a small machine) is also kept in `prompt_states`, so that tests about something else than
    that evaluation start a fresh model from it (`saved_prompt`) instead of evaluating it again."""
    from benchmarks.bench_llm import GENRES
    from emotune.llm.analyst import Analyst
    from tests.llm_checks import BUDGET_S, SEED

    analyst = Analyst.for_model(gguf, seed=SEED, time_budget_s=BUDGET_S, prompt_cache_dir=prompt_states)
    assert analyst.load(), analyst.error
    assert analyst.warm_up(GENRES) and analyst.prompt_restored == 0
    yield analyst
    analyst.engine.close()


@pytest.fixture
def saved_prompt(analyst, gguf, prompt_states) -> Path:
    """The module analyst's evaluated fixed prompt (instructions, GENRES and the neutral worked example), as
    the prompt cache wrote it."""
    from emotune.llm.runtime import prompt_cache

    path = prompt_cache.cache_file(prompt_states, gguf, analyst.engine.n_ctx)
    assert path.stat().st_size > 1_000_000
    return path
