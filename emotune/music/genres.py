"""One genre vocabulary for every source: genre families, with the sources' subgenres kept underneath.

Why: the sources name genres differently. high_popularity_spotify_data.csv has 28 playlist genres whose
subgenres are mostly modifiers ("rock" / "classic"); spotify_songs.csv has 6 genres (edm, rap, ...) whose
subgenres are full names ("classic rock", "hard rock"); dataset-of-10s.csv has none. Listeners, the Settings
dialog and the LLM speak of families ("rock", "electronic"), so a track carries its family and its
subgenres: asking for "rock" finds hard rock, album rock and classic rock, and "hard rock" can be asked for
by name. Which family a name belongs to is a pure function of the name (`family_of`), so catalogs built at
different times and a user's own imports agree without storing the tree in the file.
"""
from __future__ import annotations

import re
from typing import Iterable

# family -> other names for the whole family (what users, sources and the LLM may say instead)
FAMILY_ALIASES: dict[str, tuple[str, ...]] = {
    "electronic": ("edm", "electronica", "dance", "electronic dance music"),
    "hip-hop": ("hip hop", "hiphop", "rap"),
    "r&b": ("rnb", "r and b", "r'n'b", "rhythm and blues"),
}

# a source genre that is, in this vocabulary, a subgenre of another family: genre -> (family, subgenre)
GENRE_AS_SUBGENRE: dict[str, tuple[str, str]] = {
    "k-pop": ("pop", "k-pop"),
    "j-pop": ("pop", "j-pop"),
    "korean": ("pop", "k-drama"),
    "turkish": ("pop", "turkish pop"),
    "lofi": ("hip-hop", "lo-fi hip hop"),
    "soul": ("r&b", "soul"),
}

# (source genre, source subgenre) -> subgenre name, where the general rule below would name it wrongly
PAIR_NAMES: dict[tuple[str, str], str] = {
    ("brazilian", "funk"): "brazilian funk",
    ("electronic", "tropical"): "tropical house",
    ("folk", "indie"): "indie folk",
    ("rock", "indie"): "indie rock",
    ("hip-hop", "gangster"): "gangster rap",
    ("hip-hop", "melodic"): "melodic rap",
    ("indian", "workout"): "indian workout",
    ("korean", "drama"): "k-drama",
    ("reggae", "fusion"): "reggae fusion",
}

NO_SUBGENRE = frozenset({"modern", ""})     # says nothing the family does not ("rock" / "modern")

# subgenres the shipped sources hold, by family: the names users can ask for, and each one's family
SUBGENRES: dict[str, tuple[str, ...]] = {
    "afrobeats": ("african afrobeats", "nigerian afrobeats"),
    "ambient": ("academic ambient", "chill ambient", "meditative ambient"),
    "blues": ("classic blues",),
    "brazilian": ("brazilian funk",),
    "classical": ("essential classical", "neo-classical"),
    "country": ("classic country",),
    "electronic": ("afro house", "big room", "deep house", "electro house", "french electronic", "future bass",
                   "pop edm", "progressive electro house", "techno", "tropical house", "vaporwave"),
    "folk": ("american folk", "indie folk", "nordic folk"),
    "hip-hop": ("90s hip hop", "chill hip hop", "desi hip hop", "drill", "french hip hop", "gangster rap",
                "lo-fi hip hop", "melodic rap", "southern hip hop", "trap"),
    "indian": ("bhangra", "bollywood", "indian workout"),
    "indie": ("australian indie",),
    "jazz": ("classic jazz",),
    "latin": ("afro-latin", "chill latin", "cumbia", "latin hip hop", "latin pop", "reggaeton", "tropical"),
    "metal": ("classic metal", "death metal", "heavy metal"),
    "pop": ("bedroom pop", "dance pop", "electropop", "global pop", "indie poptimism", "j-pop", "anime",
            "k-pop", "k-drama", "mainstream pop", "post-teen pop", "scandi pop", "soft pop", "throwback pop",
            "turkish pop"),
    "punk": ("pop punk",),
    "r&b": ("hip pop", "neo soul", "new jack swing", "soul", "classic soul", "urban contemporary"),
    "reggae": ("classic reggae", "reggae fusion"),
    "rock": ("80s rock", "album rock", "alternative rock", "classic rock", "feel-good rock", "hard rock",
             "indie rock", "permanent wave", "southern rock", "spanish rock"),
    "world": ("throat singing",),
}
KNOWN_FAMILIES = frozenset(SUBGENRES) | frozenset({"arabic", "gaming", "funk", "gospel", "soundtrack", "children"})

# The 114 `track_genre` labels of the "Spotify Tracks Dataset" (.data/spotify_tracks_by_genre/, docs/music.md):
# label -> (family, subgenre); labels the rules above already place ("dance", "j-pop", "soul", ...) are absent.
# "" family: a mood, market or instrument label, or one whose files mix genres (hardcore: Nas and Misfits), that
# names no genre (the track then
# takes its artist's families, emotune.music.catalog_build.consensus). NOT_MUSIC labels are not songs and are
# never read.
TRACK_GENRE_LABELS: dict[str, tuple[str, str]] = {
    "acoustic": ("", ""), "british": ("", ""), "chill": ("", ""), "french": ("", ""), "german": ("", ""),
    "groove": ("", ""), "guitar": ("", ""), "hardcore": ("", ""), "club": ("", ""), "happy": ("", ""),
    "party": ("", ""), "piano": ("", ""),
    "romance": ("", ""), "sad": ("", ""), "spanish": ("", ""), "study": ("", ""), "swedish": ("", ""),
    "afrobeat": ("afrobeats", "afrobeat"), "alt-rock": ("rock", "alternative rock"),
    "alternative": ("rock", "alternative rock"), "anime": ("pop", "anime"), "black-metal": ("metal", "black metal"),
    "bluegrass": ("country", "bluegrass"), "brazil": ("brazilian", ""), "breakbeat": ("electronic", "breakbeat"),
    "cantopop": ("pop", "cantopop"), "chicago-house": ("electronic", "chicago house"), "children": ("children", ""),
    "dancehall": ("reggae", "dancehall"),
    "death-metal": ("metal", "death metal"), "deep-house": ("electronic", "deep house"),
    "detroit-techno": ("electronic", "detroit techno"), "disco": ("funk", "disco"), "disney": ("soundtrack", "disney"),
    "drum-and-bass": ("electronic", "drum and bass"), "dub": ("reggae", "dub"), "dubstep": ("electronic", "dubstep"),
    "electro": ("electronic", "electro"), "emo": ("punk", "emo"), "forro": ("brazilian", "forró"),
    "garage": ("rock", "garage rock"), "goth": ("rock", "gothic rock"), "grindcore": ("metal", "grindcore"),
    "grunge": ("rock", "grunge"), "hard-rock": ("rock", "hard rock"),
    "hardstyle": ("electronic", "hardstyle"), "heavy-metal": ("metal", "heavy metal"),
    "honky-tonk": ("country", "honky tonk"), "house": ("electronic", "house"), "idm": ("electronic", "idm"),
    "indie-pop": ("indie", "indie pop"), "industrial": ("rock", "industrial"), "iranian": ("world", "iranian"),
    "j-dance": ("pop", "j-dance"), "j-idol": ("pop", "j-idol"), "j-rock": ("rock", "j-rock"),
    "kids": ("children", ""), "latino": ("latin", ""), "malay": ("pop", "malay pop"), "mandopop": ("pop", "mandopop"),
    "metalcore": ("metal", "metalcore"), "minimal-techno": ("electronic", "minimal techno"),
    "mpb": ("brazilian", "mpb"), "new-age": ("ambient", "new age"), "opera": ("classical", "opera"),
    "pagode": ("brazilian", "pagode"), "pop-film": ("indian", "bollywood"), "power-pop": ("rock", "power pop"),
    "progressive-house": ("electronic", "progressive house"), "psych-rock": ("rock", "psychedelic rock"),
    "punk-rock": ("punk", "punk rock"), "r-n-b": ("r&b", ""), "reggaeton": ("latin", "reggaeton"),
    "rock-n-roll": ("rock", "rock and roll"), "rockabilly": ("rock", "rockabilly"), "salsa": ("latin", "salsa"),
    "samba": ("brazilian", "samba"), "sertanejo": ("brazilian", "sertanejo"),
    "show-tunes": ("soundtrack", "show tunes"),
    "singer-songwriter": ("folk", "singer-songwriter"), "ska": ("reggae", "ska"),
    "songwriter": ("folk", "singer-songwriter"), "synth-pop": ("pop", "synth-pop"), "tango": ("latin", "tango"),
    "techno": ("electronic", "techno"), "trance": ("electronic", "trance"), "trip-hop": ("electronic", "trip hop"),
    "world-music": ("world", ""),
}
NOT_MUSIC = frozenset({"comedy", "sleep"})     # stand-up and white noise: nobody wants them in a mood list

_ALIAS: dict[str, str] = {a: fam for fam, names in FAMILY_ALIASES.items() for a in names}
_SUB_FAMILY: dict[str, str] = {s: fam for fam, subs in SUBGENRES.items() for s in subs}
_SUB_FAMILY.update({sub: fam for fam, sub in TRACK_GENRE_LABELS.values() if fam and sub})
_WORD = {"hip-hop": "hip hop"}             # how a family is written inside a subgenre name


def clean(name: str) -> str:
    """Lower case, single spaces: how every genre name is stored and compared."""
    return re.sub(r"\s+", " ", name.strip().lower())


def resolve(name: str) -> str:
    """The vocabulary's own spelling of a name users or sources may write differently ("edm" -> electronic,
    "Hip Hop" -> hip-hop); other names come back cleaned."""
    name = clean(name)
    return _ALIAS.get(name, name)


def family_of(name: str) -> str:
    """The family a genre name belongs to: itself for a family, the family of a known subgenre, else the
    family whose name ends the phrase ("indie rock" -> rock), else the name itself (a user's "polka")."""
    name = resolve(name)
    if name in KNOWN_FAMILIES:
        return name
    if name in _SUB_FAMILY:
        return _SUB_FAMILY[name]
    if name in GENRE_AS_SUBGENRE:
        return GENRE_AS_SUBGENRE[name][0]
    words = name.split(" ")
    for k in range(1, len(words)):
        tail = resolve(" ".join(words[k:]))
        if tail in KNOWN_FAMILIES:
            return tail
    return name


def is_family(name: str) -> bool:
    return family_of(name) == resolve(name)


def classify(genre: str, subgenre: str = "") -> tuple[str, ...]:
    """The names a track of this source genre (and playlist subgenre) carries: its family first, then its
    subgenres. ("rock", "classic") -> ("rock", "classic rock"); ("rap", "trap") -> ("hip-hop", "trap");
    ("k-pop", "modern") -> ("pop", "k-pop"); ("", "") -> ()."""
    g, s = resolve(genre), clean(subgenre)
    if g in TRACK_GENRE_LABELS and not s:
        fam, sub = TRACK_GENRE_LABELS[g]
        return tuple(n for n in (fam, sub) if n)
    if not g:
        return ()
    names: list[str] = []
    if g in GENRE_AS_SUBGENRE:
        fam, sub = GENRE_AS_SUBGENRE[g]
        names += [fam, sub]
    else:
        fam = family_of(g)
        names.append(fam)
        if fam != g:
            names.append(g)
    if (g, s) in PAIR_NAMES:
        names.append(PAIR_NAMES[(g, s)])
    elif s not in NO_SUBGENRE and resolve(s) not in (g, fam):
        if resolve(s) in KNOWN_FAMILIES:                      # ("latin", "hip-hop") -> latin hip hop
            names.append(f"{g} {_WORD.get(resolve(s), resolve(s))}")
        elif family_of(s) == fam:                             # a name of its own: ("rap", "trap") -> trap
            names.append(s)
        else:                                                 # a qualifier: ("rock", "classic") -> classic rock
            names.append(f"{s} {_WORD.get(g, g)}")
    return tuple(dict.fromkeys(names))


def sort_key(name: str) -> tuple[int, str]:
    """Families before subgenres, each alphabetical: a track's genres then read "rock, hard rock"."""
    return (0 if is_family(name) else 1, name)


def expand(names: Iterable[str], vocabulary: Iterable[str]) -> set[str]:
    """The names of `vocabulary` that a request for `names` means: a family brings all its subgenres."""
    wanted = {resolve(n) for n in names if n.strip()}
    return {v for v in vocabulary if v in wanted or family_of(v) in wanted}
