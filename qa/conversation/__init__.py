"""Conversations: a follow-up question made standalone from the questions before it."""
