"""Benchmarks of the runtime (event store, relay, inbox) and of a running service: `python -m bench.run`.

Not timed tests: nothing here asserts a duration. bench/tests/ only checks that every benchmark
still runs on tiny sizes and that the table has all its rows.
"""
