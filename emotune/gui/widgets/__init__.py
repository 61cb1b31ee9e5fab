"""The widgets the main window is made of. They only present what they are given; none loads, computes or
waits."""
