"""Speed measurements. `python -m benchmarks` runs every bench_*.py module's main() in one process run;
each one prints its own table of figures and ratios measured side by side."""
