"""What the window asks of the core (analysis, music, journal) and the adapters that answer: the small
interfaces in `interfaces`, the engines behind them, and the mood session that ties them to the window."""
