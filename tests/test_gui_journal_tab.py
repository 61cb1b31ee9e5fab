"""The Journal tab with a real store, offscreen: the day's analyses with the tracks suggested after them,
Export… to CSV and JSON (a file only the user can read), the charts' axes read percentages and valence, and
the last hour label ("24:00") is drawn whole."""
from __future__ import annotations

import datetime as dt
import json
import stat

import pytest
from PySide6.QtCore import QRectF

from emotune.appdirs import AppDirs
from emotune.core.mood import MoodSnapshot
from emotune.journal import JournalStore

TODAY = dt.date.today()


def at(day: dt.date, hour: float) -> float:
    return dt.datetime.combine(day, dt.time()).timestamp() + hour * 3600


@pytest.fixture
def store(tmp_path):
    with JournalStore.open(AppDirs.under(tmp_path / "home")) as s:
        sid = s.start_session("camera 0", ts=at(TODAY, 9))
        s.record_snapshot(MoodSnapshot.manual_mood("sad"), session_id=sid, ts=at(TODAY, 9.1))
        s.record_analysis("You looked low and tired for most of the last minutes.", mood="sad", session_id=sid,
                          ts=at(TODAY, 9.2))
        s.record_tracks_shown([{"id": "t1", "title": "Hello", "artist": "Adele"},
                               {"id": "t2", "title": "Fix You", "artist": "Coldplay"}],
                              mood="sad", session_id=sid, ts=at(TODAY, 9.2))
        s.record_analysis("A brighter, steadier mood now.", mood="happy", session_id=sid, ts=at(TODAY, 15))
        s.record_tracks_shown([{"id": "t3", "title": "Happy", "artist": "Pharrell Williams"}], mood="happy",
                              session_id=sid, ts=at(TODAY, 15))
        s.record_analysis("Yesterday's analysis.", mood="neutral", ts=at(TODAY - dt.timedelta(days=1), 12))
        yield s


@pytest.fixture
def make_view(qtbot):
    views = []

    def make(store, **kw):
        from emotune.gui.widgets.journal_view import JournalView

        view = JournalView(store, **kw)
        qtbot.addWidget(view)
        views.append(view)
        return view

    yield make
    for v in views:
        v.shutdown()


def _loaded(qtbot, view):
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.resize(1100, 650)
        view.show()


def test_the_days_analyses_are_listed_with_their_tracks(qtbot, store, make_view):
    view = make_view(store)
    _loaded(qtbot, view)
    assert view.entries.texts() == [
        "Low and sad: You looked low and tired for most of the last minutes.",
        "1. Hello — Adele", "2. Fix You — Coldplay",
        "Happy: A brighter, steadier mood now.",
        "1. Happy — Pharrell Williams"]


def test_a_day_without_analyses_says_how_to_get_one(qtbot, store, make_view):
    view = make_view(store, today=lambda: TODAY + dt.timedelta(days=2))
    _loaded(qtbot, view)
    assert view.entries.texts() == [view.entries.EMPTY]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_export_writes_the_journal_to_a_private_file_and_says_where(qtbot, store, make_view, tmp_path, suffix):
    target = tmp_path / f"journal{suffix}"
    asked = []
    view = make_view(store, ask_export_path=lambda parent, suggested: asked.append(suggested) or str(target))
    _loaded(qtbot, view)
    with qtbot.waitSignal(view.exported, timeout=10_000) as sig:
        assert view.export_btn.isEnabled()
        view.export_btn.click()
    assert sig.args[0] == str(target) and asked and asked[0].endswith(".csv")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text(encoding="utf-8")
    assert "You looked low and tired" in text and "Fix You" in text
    if suffix == ".json":
        assert len(json.loads(text)["analyses"]) == 3
    assert "Exported" in view.status.text() and str(target) in view.status.text()


def test_export_cancelled_in_the_file_dialog_writes_nothing(qtbot, store, make_view, tmp_path):
    view = make_view(store, ask_export_path=lambda parent, suggested: "")
    _loaded(qtbot, view)
    assert view.export() is False
    assert list(tmp_path.glob("*.csv")) == []


def test_the_charts_read_percentages_and_valence_and_24_00_is_whole(qtbot, store, make_view):
    view = make_view(store)
    _loaded(qtbot, view)
    chart = view.day_chart
    assert [share for _f, share, _v in chart.AXES] == ["100 %", "50 %", "0 %"]
    assert [valence for _f, _s, valence in chart.AXES] == ["+1", "0", "−1"]
    rects = chart.tick_rects()
    labels = [name for _frac, name in chart._ticks]
    assert labels[-1] == "24:00"
    whole = QRectF(0, 0, chart.width(), chart.height())
    for rect, name in zip(rects, labels):
        assert whole.contains(rect), name
        assert rect.width() >= chart.fontMetrics().horizontalAdvance(name) * 0.85, name


def test_export_is_off_when_the_journal_is(qtbot, make_view):
    view = make_view(None)
    assert not view.export_btn.isEnabled() and view.export() is False


def test_a_long_analysis_wraps_in_the_list_instead_of_being_cut(qtbot, store):
    from emotune.gui.widgets.journal_entries import DayEntries, load_day_entries

    entries = DayEntries()
    qtbot.addWidget(entries)
    entries.show_entries(load_day_entries(store, TODAY))
    entries.resize(260, 400)
    entries.show()
    item = entries.topLevelItem(0)
    line = entries.fontMetrics().height()
    qtbot.waitUntil(lambda: entries.visualItemRect(item).height() >= 2 * line)   # "Low and sad: You looked …" wraps
    entries.resize(900, 400)                                                      # and unwraps when there is room
    qtbot.waitUntil(lambda: entries.visualItemRect(item).height() < 2 * line)
