"""Text as the domain reads it: sentences with exact offsets, and ISO dates."""
