"""The Benchmark tab: every optimizer tuned with the same budget on small problems, its best
rerun over seeds, the report's table and figures live in the window."""

from gui.benchmark.view import BenchmarkView

__all__ = ["BenchmarkView"]
