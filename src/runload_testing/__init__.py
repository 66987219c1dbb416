"""Test and sample tooling for runload, kept out of the runtime package.

:mod:`runload_testing.synthetic` writes genuine FIT, GPX and TCX files (the
bundled sample season, the benchmarks, the fuzz and property tests). Nothing in
``runload`` imports it.
"""
