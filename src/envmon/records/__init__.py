"""The stored monitoring records as received: the `envmon data` use cases (`api.py`)."""
