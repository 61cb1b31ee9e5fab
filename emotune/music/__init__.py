"""Music for the mood: the offline catalog and recommender every user gets, and the optional Spotify client.

No Qt here: the GUI calls these from worker threads."""
