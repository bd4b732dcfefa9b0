"""The article and chunk database: SQLite in an index folder, or PostgreSQL shared by replicas."""
