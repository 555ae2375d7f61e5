"""HTTP layer: Litestar app, authentication, error mapping, controllers, pages."""
