"""The Journal tab with a real store, offscreen: charts fill from the journal, liked tracks are grouped by mood,
deleting asks first and works off the GUI thread, and a journal error becomes a line of text; the day's analyses
are listed with the tracks suggested after them (wrapped, never cut), Export… writes CSV or JSON to a file only
the user can read, the charts' axes read percentages and valence, and "24:00" is drawn whole."""
from __future__ import annotations

import datetime as dt
import json
import stat

import pytest
from PySide6.QtCore import QRectF

from emotune.appdirs import AppDirs
from emotune.core.mood import MoodSnapshot
from emotune.journal import JournalStore

TODAY = dt.date.today()   # fixed at collection: every view below is handed this day, so a run across midnight holds


def at(day: dt.date, hour: float) -> float:
    return dt.datetime.combine(day, dt.time()).timestamp() + hour * 3600


@pytest.fixture
def store(tmp_path):
    with JournalStore.open(AppDirs.under(tmp_path)) as s:
        for hour in (8.0, 8.1, 12.5, 20.0):
            s.record_snapshot(MoodSnapshot.manual_mood("happy" if hour < 12 else "sad"), ts=at(TODAY, hour))
        for days_ago in (3, 10, 40):
            s.record_snapshot(MoodSnapshot.manual_mood("neutral"), ts=at(TODAY - dt.timedelta(days=days_ago), 9))
        s.record_feedback("t1", ["Adele"], "sad", "like", title="Hello")
        s.record_feedback("t2", "Bob", "happy", "like", title="Sunny")
        s.record_feedback("t3", "Cat", "happy", "skip", title="Nope")
        yield s


@pytest.fixture
def make_view(qtbot):
    views = []

    def make(store, **kw):
        from emotune.gui.widgets.journal.view import JournalView

        kw.setdefault("today", lambda: TODAY)
        view = JournalView(store, **kw)
        qtbot.addWidget(view)
        views.append(view)
        return view

    yield make
    for v in views:
        v.shutdown()


def test_charts_and_liked_tracks_fill_from_the_journal(qtbot, store, make_view, tmp_path):
    view = make_view(store)
    with qtbot.waitSignal(view.loaded, timeout=10_000) as sig:
        view.resize(1000, 600)
        view.show()
    data = sig.args[0]
    assert len(view.day_chart.bars) == 3                  # 08:00 (two samples), 12:30 and 20:00
    assert len(view.week_chart.bars) == 4                 # today, 3, 10 and 40 days ago (8 weeks shown)
    assert data.counts["snapshots"] == 7
    moods = {view.liked.topLevelItem(i).text(0) for i in range(view.liked.topLevelItemCount())}
    assert moods == {"Sad (1)", "Happy (1)"}               # skips are not "liked"
    assert "7 mood samples" in view.status.text()
    view.grab().save(str(tmp_path / "journal.png"))


def test_delete_everything_asks_first(qtbot, store, make_view):
    answers = []
    view = make_view(store, confirm=lambda parent, title, text: answers.append(text) or False)
    assert view.delete_all() is False and store.counts()["snapshots"] == 7 and "can't be undone" in answers[0]
    view._confirm = lambda *a: True
    with qtbot.waitSignal(view.deleted, timeout=10_000) as sig:
        assert view.delete_all()
    assert sig.args[0] > 0 and sum(store.counts().values()) == 0
    qtbot.waitUntil(lambda: view.data is not None and not view.day_chart.bars, timeout=10_000)


def test_delete_range_uses_the_dialog_and_keeps_other_days(qtbot, store, make_view):
    first = TODAY - dt.timedelta(days=12)
    view = make_view(store, confirm=lambda *a: True,
                     ask_range=lambda parent, today: (first, TODAY - dt.timedelta(days=1)))
    with qtbot.waitSignal(view.deleted, timeout=10_000):
        view.delete_range_btn.click()
    assert store.counts()["snapshots"] == 5               # 3 and 10 days ago gone; today and 40 days ago kept


def test_journal_off_and_journal_errors_show_as_text(qtbot, store, make_view, tmp_path):
    view = make_view(None)
    assert "journal is off" in view.status.text() and not view.delete_all_btn.isEnabled()
    store.close()                                          # a closed store fails like a broken one
    view.set_store(store)
    with qtbot.waitSignal(view.failed, timeout=10_000) as sig:
        view.refresh()
    assert sig.args[0] and sig.args[0] in view.status.text()


# --- the day's analyses, Export…, the axes ----------------------------------------------------------------

@pytest.fixture
def day_store(tmp_path):
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


def _loaded(qtbot, view):
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.resize(1100, 650)
        view.show()


def test_the_days_analyses_are_listed_with_their_tracks(qtbot, day_store, make_view):
    view = make_view(day_store)
    _loaded(qtbot, view)
    assert view.entries.texts() == [
        "Low and sad: You looked low and tired for most of the last minutes.",
        "1. Hello — Adele", "2. Fix You — Coldplay",
        "Happy: A brighter, steadier mood now.",
        "1. Happy — Pharrell Williams"]


def test_a_day_without_analyses_says_how_to_get_one(qtbot, day_store, make_view):
    view = make_view(day_store, today=lambda: TODAY + dt.timedelta(days=2))
    _loaded(qtbot, view)
    assert view.entries.texts() == [view.entries.EMPTY]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_export_writes_the_journal_to_a_private_file_and_says_where(qtbot, day_store, make_view, tmp_path, suffix):
    target = tmp_path / f"journal{suffix}"
    asked = []
    view = make_view(day_store, ask_export_path=lambda parent, suggested: asked.append(suggested) or str(target))
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


def test_export_cancelled_in_the_file_dialog_writes_nothing(qtbot, day_store, make_view, tmp_path):
    view = make_view(day_store, ask_export_path=lambda parent, suggested: "")
    _loaded(qtbot, view)
    assert view.export() is False
    assert list(tmp_path.glob("*.csv")) == []


def test_the_charts_read_percentages_and_valence_and_24_00_is_whole(qtbot, day_store, make_view):
    view = make_view(day_store)
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


def test_a_long_analysis_wraps_in_the_list_instead_of_being_cut(qtbot, day_store):
    from emotune.gui.widgets.journal.entries import DayEntries, load_day_entries

    entries = DayEntries()
    qtbot.addWidget(entries)
    entries.show_entries(load_day_entries(day_store, TODAY))
    entries.resize(260, 400)
    entries.show()
    item = entries.topLevelItem(0)
    line = entries.fontMetrics().height()
    qtbot.waitUntil(lambda: entries.visualItemRect(item).height() >= 2 * line)   # "Low and sad: You looked …" wraps
    entries.resize(900, 400)                                                      # and unwraps when there is room
    qtbot.waitUntil(lambda: entries.visualItemRect(item).height() < 2 * line)
