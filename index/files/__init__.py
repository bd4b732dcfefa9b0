"""The index folder's files: atomic writes, the manifest, the checks on opening, the writer lock."""
