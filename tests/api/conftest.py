from tests.public.conftest import give, live_matching  # noqa: F401 - shared fixtures
