"""The app built from the environment, for `serve --workers N` (uvicorn imports it in each process)."""

from starlette.applications import Starlette

from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints import logs
from solicitations.entrypoints.http.app import create_app


def from_environment() -> Starlette:
    settings = Settings()
    logs.configure(settings.log_level)
    # The parent process migrated already; each process still checks, under the same lock.
    container = bootstrap(settings)
    if settings.sandbox:
        from solicitations.entrypoints.http.sandbox import create_sandbox_app

        return create_sandbox_app(container)
    return create_app(container, worker=settings.in_process_worker)
