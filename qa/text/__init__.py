"""Text as the domain reads it: words and stopwords, sentences with exact offsets, and ISO dates."""
