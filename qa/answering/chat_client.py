"""A client for the OpenAI chat completions API as vLLM, llama.cpp server, Ollama and hosted services
serve it: POST {base_url}/chat/completions."""

from typing import Any

import httpx

from qa.answering.generation import GenerationFailed


class OpenAICompatibleChat:
    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_seconds: float, max_tokens: int) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_seconds)
        self._model = model
        self._max_tokens = max_tokens

    def complete(self, messages: list[dict[str, str]]) -> str:
        body = {"model": self._model, "messages": messages, "temperature": 0, "max_tokens": self._max_tokens}
        try:
            response = self._client.post("/chat/completions", json=body)
            response.raise_for_status()
            return _reply(response.json())
        except (httpx.HTTPError, ValueError) as error:
            raise GenerationFailed(f"{type(error).__name__}: {error}") from None

    def close(self) -> None:
        self._client.close()


def _reply(payload: Any) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ValueError("the reply has no choices[0].message.content") from None
    if not isinstance(content, str) or not content.strip():
        raise ValueError("the reply's content is empty")
    return content
