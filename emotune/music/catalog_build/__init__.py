"""Building the offline catalog: reading the source CSVs, genres by artist consensus, and the shipped and the
user's catalogs merged as one. emotune.music.library runs these; a list is never made here."""
