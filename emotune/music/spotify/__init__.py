"""Spotify, for users who bring their own Client ID: the login (`auth`), the Web API client (`client`), its
settings (`config`, importable without spotipy) and the errors it raises (`errors`). The offline catalog is
what every user gets; this is an extra."""
