"""The machine API (``/api/v1``): the central OMS's way into a store. JSON, signed."""
