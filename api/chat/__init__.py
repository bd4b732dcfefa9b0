"""The OpenAI-compatible chat door: a chat's messages made into a question, and an answer into a chat reply."""
