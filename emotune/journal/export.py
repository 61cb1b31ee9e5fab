"""Journal export: everything the journal holds, as JSON (all tables) or CSV (one timeline, one row per entry).

Why both: JSON keeps the structure for other programs and re-import; CSV opens in a spreadsheet, where one
table sorted by time with a `record` column is easier to filter than five files.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from typing import IO

from emotune import __version__
from emotune.core.emotions import EMOTIONS
from emotune.journal.schema import TABLES

FORMAT = "emotune.journal-export"
VERSION = 1
CSV_COLUMNS = ("record", "time", "session_id", "mood", "confidence", "valence", "arousal", "face_count", "manual",
               "trend", *EMOTIONS, "track_id", "title", "artist", "album", "position", "mode", "feedback", "reason",
               "text", "source")
_RECORD = {"sessions": "session", "snapshots": "snapshot", "analyses": "analysis", "tracks_shown": "track_shown",
           "feedback": "feedback"}


def _iso(ts: float | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def export_json(store, out: IO[str], start: float | None = None, end: float | None = None) -> int:
    """Writes all tables as one JSON document; returns the number of entries written."""
    tables = {t: store.rows(t, start, end) for t in TABLES}
    for rows in tables.values():
        for row in rows:
            key = "started_at" if "started_at" in row else "ts"
            row["time"] = _iso(row[key])
    doc = {"format": FORMAT, "version": VERSION, "app_version": __version__,
           "schema_version": store.schema_version, "exported_at": _iso(dt.datetime.now().timestamp()), **tables}
    json.dump(doc, out, indent=1, ensure_ascii=False)
    out.write("\n")
    return sum(len(r) for r in tables.values())


def timeline(store, start: float | None = None, end: float | None = None) -> list[dict]:
    """Every entry as one flat row with CSV_COLUMNS keys, oldest first."""
    out = []
    for table in TABLES:
        for row in store.rows(table, start, end):
            ts = row.get("ts", row.get("started_at"))
            flat = {c: row.get(c, "") for c in CSV_COLUMNS}
            flat.update(record=_RECORD[table], time=_iso(ts), _ts=(ts, TABLES.index(table)))
            if table == "sessions":
                ended = f"ended {_iso(row['ended_at'])}" if row["ended_at"] else ""
                flat.update(session_id=row["id"], source=row["source"], text=ended)
            elif table == "snapshots":
                flat["mood"] = row["dominant"]
            elif table == "feedback":
                flat["feedback"] = row["kind"]
            out.append(flat)
    out.sort(key=lambda r: r["_ts"])          # by time; at the same time, the session before its entries
    for r in out:
        del r["_ts"]
    return out


def export_csv(store, out: IO[str], start: float | None = None, end: float | None = None) -> int:
    rows = timeline(store, start, end)
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return len(rows)


EXPORTERS = {"json": export_json, "csv": export_csv}
