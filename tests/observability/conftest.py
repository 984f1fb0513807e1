"""The end-to-end fixtures (real gateway under uvicorn, fake upstreams, the real detector)."""

from tests.e2e.conftest import classifier, cloud_fake, gateway, local_fake  # noqa: F401  (pytest fixtures)
