"""Paste filters of the proxy, one module per filter (see each module's docstring)."""
