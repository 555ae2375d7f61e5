"""HTTP layer: Litestar app, authentication, error mapping, controllers, pages.

Owns no table: translates HTTP to the domain packages' functions. May import every domain package
(scheduling, audit, detection, registry), db, config, errors, labels; nothing imports web but cli.
"""
