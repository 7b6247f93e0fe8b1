"""The shell around the product: the Litestar application (:mod:`erp.app.application`), the ASGI entry
point, the ``erp`` command line, settings from the environment, the embedded PostgreSQL, the migrations
runner, backups and the background jobs."""
