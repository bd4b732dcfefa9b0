"""The HTTP edge (FastAPI) and the web page; it calls qa.service.QAService like the CLI does."""
