"""Serving the app with uvicorn: sockets, worker processes, HTTP limits, the access log, connection balance."""
