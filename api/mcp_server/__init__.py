"""The MCP server for assistants: the news tools (search, ask, get_article, quotes) over stdio for
`qa mcp`, and over streamable HTTP at /mcp of `qa serve`, built on the official `mcp` SDK."""
