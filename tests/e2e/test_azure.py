"""Azure OpenAI's URL shape and api-key header, end to end through the gateway."""

from __future__ import annotations

from pathlib import Path

import openai

from tests.e2e.harness import DEFAULT_POLICY, KEY, SessionClassifier, run_gateway, write_config
from tests.fakes.openai_server import FakeOpenAI


def test_azure_backend(tmp_path: Path, local_fake: FakeOpenAI, cloud_fake: FakeOpenAI,
                       classifier: SessionClassifier) -> None:
    path = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url, policy=DEFAULT_POLICY)
    text = path.read_text().replace(
        f'base_url: "{cloud_fake.base_url}/v1", api_key_env: CLOUD_KEY,',
        f'base_url: "{cloud_fake.base_url}", api_key_env: CLOUD_KEY, azure_api_version: "2024-10-21",')
    path.write_text(text)
    with run_gateway(path, classifier) as gw:
        client = openai.OpenAI(base_url=gw.url + "/v1", api_key=KEY, max_retries=0)
        completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
        assert completion.choices[0].message.content
        stream = client.chat.completions.create(model="gpt-4o", stream=True,
                                                messages=[{"role": "user", "content": "Hi"}])
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    sent = cloud_fake.requests[0]
    assert sent.path == "/openai/deployments/gpt-4o/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == "test-openai-key" and "authorization" not in sent.headers
    assert "model" not in sent.body
    assert local_fake.requests == []
