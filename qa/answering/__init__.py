"""The answer to a question: sentences quoted from the passages, and an optional written answer."""
