"""A LlamaIndex retriever over the service: passages from `search` (the default) or the sentences `ask`
cites, as TextNodes whose start_char_idx and end_char_idx are their offsets in the article."""

try:
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "news_qa_client.llama_index needs llama-index-core: pip install 'news-qa-client[llama-index]'"
    ) from error

from collections.abc import Mapping
from typing import Any

from news_qa_client.async_client import AsyncNewsQA
from news_qa_client.hits import Hit, Mode, aretrieve, retrieve
from news_qa_client.models import FiltersIn
from news_qa_client.sync_client import NewsQA


class NewsQARetriever(BaseRetriever):
    """`filters` are those of `ask` (`{"source": "wire", "published_after": "2024-01-01"}`), used in
    both modes. Async calls go through `async_client`, or a short-lived one to the same service."""

    def __init__(self, client: NewsQA, *, async_client: AsyncNewsQA | None = None, top_k: int | None = None,
                 filters: FiltersIn | Mapping[str, Any] | None = None, mode: Mode = "search",
                 callback_manager: CallbackManager | None = None) -> None:
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be greater than 0, got {top_k}")
        if mode not in ("search", "ask"):
            raise ValueError(f"mode must be 'search' or 'ask', got {mode!r}")
        super().__init__(callback_manager=callback_manager)
        self.client = client
        self.async_client = async_client
        self.top_k = top_k
        self.filters = FiltersIn.model_validate(filters) if filters is not None else None
        self.mode = mode

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [_node(hit) for hit in retrieve(self.client, query_bundle.query_str, self.mode, self.top_k,
                                               self.filters)]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = await aretrieve(self.client, self.async_client, query_bundle.query_str, self.mode, self.top_k,
                               self.filters)
        return [_node(hit) for hit in hits]


def _node(hit: Hit) -> NodeWithScore:
    node = TextNode(id_=hit.id, text=hit.text, metadata=hit.metadata, start_char_idx=hit.metadata["start"],
                    end_char_idx=hit.metadata["end"])
    return NodeWithScore(node=node, score=hit.score)
