"""The Journal tab: the day and weeks charts (chart), a day's entries (entries) and the tab that holds them (view)."""
