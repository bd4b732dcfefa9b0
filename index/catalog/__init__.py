"""What searches need of every chunk besides its vector (filters, BM25 postings, headlines): kept in
memory (catalog, keeper), or asked of the engines by a replica that keeps nothing (engines)."""
