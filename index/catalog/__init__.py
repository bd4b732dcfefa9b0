"""What searches need of every chunk in memory: filters, BM25 postings, headlines."""
