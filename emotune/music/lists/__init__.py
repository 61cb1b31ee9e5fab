"""Making a list for a mood: the mood's target in feature space, the ranking, the reasons and notices, the
list for an analysis, the catalog's coverage, and whether a search phrase suits a mood."""
