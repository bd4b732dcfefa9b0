"""The store the domain uses: a database and a vector backend kept at one generation."""
