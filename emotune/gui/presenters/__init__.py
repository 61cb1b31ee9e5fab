"""One presenter per panel of the main window: each owns its panel's wiring to the pipeline controller and the
mood session and the state that decides what the panel says, so the window only lays the panels out."""
