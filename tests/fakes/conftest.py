from .fixtures import fake_anthropic, fake_openai  # noqa: F401  (pytest fixtures for this package)
