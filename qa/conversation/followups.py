"""A follow-up question ("And what did he say about Iran?") made into the standalone question the
earlier ones imply ("What did Netanyahu say about Iran?")."""

from collections.abc import Sequence
from typing import Protocol


class QuestionRewriter(Protocol):
    def standalone(self, question: str, history: Sequence[str]) -> str:
        """`question` as a question that stands alone, given the earlier questions (oldest first);
        the question itself when it already does."""
        ...


class AsAsked:
    """Keeps every question as it was asked."""

    def standalone(self, question: str, history: Sequence[str]) -> str:
        return question
