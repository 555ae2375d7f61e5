"""Server-rendered pages (Jinja templates, htmx where it helps), from the same services as the API."""
