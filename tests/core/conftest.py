import pytest
from litestar.testing import AsyncTestClient

from erp.platform.posting import Engine
from tests.core.objects import build, install


@pytest.fixture
async def registry(db):
    reg = build()
    await install(db, reg)
    return reg


@pytest.fixture
def engine(registry, settings):
    return Engine(registry, settings)


@pytest.fixture
async def core_client(registry, settings, database_url):
    from erp.app.application import create_app

    app = create_app(settings, database_url, pool_size=20, registry=registry)
    async with AsyncTestClient(app=app) as client:
        yield client
