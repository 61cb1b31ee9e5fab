"""The Journal tab with a real store, offscreen: charts fill from the journal, liked tracks are grouped by mood,
deleting asks first and works off the GUI thread, and a journal error becomes a line of text."""
from __future__ import annotations

import datetime as dt

import pytest

from emotune.appdirs import AppDirs
from emotune.core.mood import MoodSnapshot
from emotune.journal import JournalStore

TODAY = dt.date.today()


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
        from emotune.gui.widgets.journal_view import JournalView

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
    view = make_view(store, confirm=lambda *a: True, ask_range=lambda parent, today: (first, TODAY - dt.timedelta(days=1)))
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
