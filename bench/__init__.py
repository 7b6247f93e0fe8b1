"""Benchmarks of the ERP with their ceilings: ``python -m bench --size smoke|full``.

Each module of this package that defines ``async def rows(ctx) -> list[Row]``
contributes rows to one table; the protocol is in :mod:`bench.core`. Every
figure that has a ceiling or a peer is measured in the same run as it and
reported as a ratio, because the machines are noisy. ``erp bench seed``
(:mod:`bench.cli`) fills a database with the large volumes using COPY.
"""
