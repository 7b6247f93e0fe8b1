"""Fixtures of the reliability tests, reused from the amoCRM tests: the fake amoCRM in a thread of the
test process (so it outlives every ``erp serve`` and ``erp worker`` a test kills), an account connected
to it, and a small clinic (seed 001's doctors and December 2021 schedule)."""

from tests.amocrm.conftest import clinic, connected, engine, fake, pool  # noqa: F401  (fixtures)
