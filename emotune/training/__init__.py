"""Training and evaluating the emotion CNN (Keras 3, any backend): data, recipes, loop, scoring, export."""
