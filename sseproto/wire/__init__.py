"""The wire: bytes in, Server-Sent Events out (and back). Knows nothing of any dialect."""
