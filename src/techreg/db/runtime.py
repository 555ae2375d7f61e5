"""Resolve which PostgreSQL to use: TECHREG_DATABASE_URL, or the embedded server."""

from ..config import Settings
from .embedded import EmbeddedPostgres


def database_url(settings: Settings, *, start_embedded: bool = True) -> str:
    if settings.database_url:
        return settings.database_url
    server = EmbeddedPostgres(settings.data_dir)
    if start_embedded:
        return server.start()
    return server.url()


def embedded_server(settings: Settings) -> EmbeddedPostgres | None:
    return None if settings.database_url else EmbeddedPostgres(settings.data_dir)
