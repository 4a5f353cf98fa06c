"""Fixtures of the API tests that run background exports."""
import pytest

import aws
from app import create_app
from tests.conftest import config_for


@pytest.fixture(scope="module")
def bg_app(fresh_database):
    """The app on its own committed database, exports run by the in-process thread pool."""
    application = create_app(config_for(fresh_database("wm_exports"), EXPORT_RUNNER="thread"))
    yield application
    pool = application.extensions.get("export_pool")
    if pool is not None:
        pool.shutdown(wait=True)


@pytest.fixture
def bg_client(bg_app, tmp_path):
    """A client of `bg_app`, its exports stored in this test's own folder."""
    bg_app.config.update(S3_BUCKET=None, AWS_ENDPOINT_URL=None, LOCAL_STORAGE_DIR=str(tmp_path / "store"))
    aws.init_app(bg_app)
    return bg_app.test_client()
