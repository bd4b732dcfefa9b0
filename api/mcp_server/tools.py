"""The tools an assistant calls, each a thin edge over the service as the HTTP routes are: the same
filters (api.parameters), the same queries (api.parameters.question_query) and the same JSON shapes
(qa.json_shapes), so a tool cites exactly what /v1/ask, /v1/search, /v1/articles/{id} and /v1/quotes
cite. Each tool's output schema is its route's response model."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from api.mcp_server.calls import CallerOf, Shape, call
from api.parameters import filters_from, moment, question_query
from api.schemas import AnswerOut, ArticleOut, FiltersIn, QuotesOut, SearchOut
from qa.access import Access
from qa.json_shapes import answer_json, article_json, passage_json, quotes_json
from qa.query import Query
from qa.service import QAService

VERBATIM = ("Every quote and passage text is verbatim: exactly the article's text[start:end], with `start` and "
            "`end` character offsets into the text `get_article` returns.")
SEARCH = ("Find the passages of news articles closest to a question or keywords, without composing an answer. "
          "Returns {query, passages}; each passage has article_id, title, source, url, published_at, start, end, "
          "text, score (cosine similarity, best first) and also_reported_by (other articles telling the same "
          f"story). {VERBATIM}")
ASK = ("Answer a question from the news articles with the sentences that answer it, each one cited. Returns "
       "{question, rewritten_question, answerable, reason, answer, short_answer, generated, citations, passages}; "
       "each citation has article_id, title, source, url, published_at, start, end, quote and speaker (who says "
       f"it, or null). {VERBATIM} When `answerable` is false, `reason` says why (no_relevant_passages, "
       "low_confidence, outside_date_range): the articles hold no answer, so say so rather than answer from "
       "elsewhere. For a follow-up (\"and what did he say about Iran?\"), pass the conversation's earlier "
       "questions in `history`; `rewritten_question` is then the standalone question that was answered.")
GET_ARTICLE = ("Read one stored article by its id (an article_id from search, ask or quotes): id, title, source, "
               "url, authors, published_at, updated_at, section, tags, language, visibility, version, and `text`, "
               "the full text that every start/end offset refers to, so a citation can be checked: "
               "text[start:end] == quote.")
QUOTES = ("What a person said across the articles, on a topic or anything: the sentences in which they speak, "
          "quoted or reported. Returns {speaker, topic, quotes}; each quote has article_id, title, source, url, "
          "published_at, start, end, quote, speaker (as the article names them), kind (direct, indirect or "
          f"mixed) and score (closeness to the topic, if one was given). {VERBATIM}")
# They only read, and answer the same arguments alike until the articles change.
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

Question = Annotated[str, Field(description="The question, in plain words.")]
TopK = Annotated[int | None, Field(ge=1, description="How many to return (default and maximum: the server's).")]
Filters = Annotated[FiltersIn | None, Field(description="Only articles within these; the fields of /v1/ask's filters.")]
AsOf = Annotated[str | None, Field(description="ISO date or datetime the question is asked about: articles "
                                   "published later are left out. Default: now.")]
History = Annotated[list[str] | None, Field(description="The conversation's earlier questions, oldest first.")]
ArticleId = Annotated[str, Field(description="The article's id, as search, ask and quotes give it (article_id).")]
Speaker = Annotated[str, Field(description="Who: a surname or a full name, any case, accents optional.")]
Topic = Annotated[str | None, Field(description="The subject; without it, everything the speaker said.")]
Sort = Annotated[Literal["relevance", "date"], Field(
    description="relevance: sentences naming the topic first, then the closest to it (without a topic, newest "
    "first); date: newest published first."
)]


class NewsTools:
    def __init__(self, caller_of: CallerOf) -> None:
        self._caller_of = caller_of

    def add_to(self, server: MCPServer) -> None:
        for tool, description in ((self.search, SEARCH), (self.ask, ASK), (self.get_article, GET_ARTICLE),
                                  (self.quotes, QUOTES)):
            server.add_tool(tool, description=description, annotations=READ_ONLY)

    async def search(self, question: Question, ctx: Context, top_k: TopK = None, filters: Filters = None,
                     as_of: AsOf = None) -> Annotated[CallToolResult, SearchOut]:
        def work(service: QAService, access: Access) -> Shape:
            passages = service.search(_query(access, question, top_k, filters, as_of))
            return {"query": question, "passages": [passage_json(p) for p in passages]}

        return await call(ctx, self._caller_of, work)

    async def ask(self, question: Question, ctx: Context, top_k: TopK = None, filters: Filters = None,
                  as_of: AsOf = None, history: History = None) -> Annotated[CallToolResult, AnswerOut]:
        def work(service: QAService, access: Access) -> Shape:
            return answer_json(service.ask(_query(access, question, top_k, filters, as_of, history)))

        return await call(ctx, self._caller_of, work)

    async def get_article(self, article_id: ArticleId, ctx: Context) -> Annotated[CallToolResult, ArticleOut]:
        def work(service: QAService, access: Access) -> Shape:
            return article_json(service.article(article_id, access))

        return await call(ctx, self._caller_of, work)

    async def quotes(self, speaker: Speaker, ctx: Context, topic: Topic = None, top_k: TopK = None,
                     sort: Sort = "relevance", filters: Filters = None,
                     as_of: AsOf = None) -> Annotated[CallToolResult, QuotesOut]:
        def work(service: QAService, access: Access) -> Shape:
            found = service.quotes(speaker, topic, filters_from(filters), moment(as_of, "as_of", end_of_day=True),
                                   top_k, sort, access)
            return quotes_json(speaker, topic, found)

        return await call(ctx, self._caller_of, work)


def _query(access: Access, question: str, top_k: int | None, filters: FiltersIn | None, as_of: str | None,
           history: list[str] | None = None) -> Query:
    """The query /v1/ask makes of the same fields."""
    return question_query(question, access, top_k, filters, as_of, history or ())
