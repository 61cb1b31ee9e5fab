"""The Track value and the audio-feature vocabulary shared by the catalog, the recommender and Spotify."""
from __future__ import annotations

from dataclasses import dataclass

# The audio features kept per track (Spotify Web API "audio features", all in 0..1 except tempo in BPM).
FEATURES: tuple[str, ...] = ("valence", "energy", "danceability", "acousticness")


@dataclass(frozen=True)
class Track:
    """One catalog track. Unknown values: year 0, popularity -1, explicit None, language "",
    a feature NaN (imports whose file lacks that column), duration 0."""

    id: str
    title: str
    artists: tuple[str, ...]
    album: str = ""
    year: int = 0
    popularity: int = -1
    genres: tuple[str, ...] = ()
    language: str = ""
    explicit: bool | None = None
    valence: float = float("nan")
    energy: float = float("nan")
    danceability: float = float("nan")
    tempo: float = float("nan")
    acousticness: float = float("nan")
    duration_ms: int = 0          # read from the sources to tell one recording's copies apart; not stored in a catalog
    playlist: str = ""            # the source playlist whose label the genres are (build only: genre consensus)

    @property
    def artist_text(self) -> str:
        return ", ".join(self.artists)

    def to_json(self) -> dict:
        """Plain JSON (NaN becomes null) for `--json` output and the GUI's clipboard."""
        def num(x: float, nd: int = 3) -> float | None:
            return None if x != x else round(float(x), nd)

        return {
            "id": self.id, "title": self.title, "artists": list(self.artists), "album": self.album,
            "year": self.year or None, "popularity": None if self.popularity < 0 else self.popularity,
            "genres": list(self.genres), "language": self.language or None, "explicit": self.explicit,
            "valence": num(self.valence), "energy": num(self.energy), "danceability": num(self.danceability),
            "acousticness": num(self.acousticness), "tempo": num(self.tempo, 1),
        }
