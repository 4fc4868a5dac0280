"""What every `govdata` command shares: settings, the prepared database, the
local operator's unit of work and the way errors are shown."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from govdata.actions import Context
from govdata.areas import build_policy, build_registry
from govdata.authz import system_actor
from govdata.db import Database
from govdata.errors import GovdataError
from govdata.log import configure_logging
from govdata.migrate import upgrade
from govdata.nodes.services import NodeIdentityError, ensure_self_node
from govdata.services import Services, build_services
from govdata.settings import Settings

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    settings = Settings()
    configure_logging(settings)
    return settings


def prepare_node(settings: Settings) -> Database:
    """Create the data directory, migrate the schema and register the node."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database.from_url(settings.effective_database_url)
    upgrade(db.engine)
    check_node(settings, db)
    return db


def check_node(settings: Settings, db: Database) -> None:
    """Register the node on first start; refuse cleanly when its keys do not match."""
    try:
        with db.transaction() as session:
            ensure_self_node(session, settings)
    except NodeIdentityError as error:
        err_console.print(f"[red]节点身份校验失败[/red] {escape(str(error))}")
        raise typer.Exit(code=1) from None


def as_operator(
    settings: Settings, db: Database, work: Any, *, services: Services | None = None
) -> Any:
    """Run ``work(ctx, run)`` as the local operator in one transaction, then bring
    the catalog search index up to date with what it committed."""
    registry = build_registry()
    services = services or build_services(settings)
    with db.transaction() as session:
        ctx = Context(
            session=session,
            actor=system_actor("cli"),
            policy=build_policy(),
            settings=settings,
            services=services,
        )
        result = work(ctx, lambda name, data: registry.run(name, ctx, data))
    if services.search.pending:
        services.search.sync(db)
    return result


def fail(error: GovdataError) -> NoReturn:
    err_console.print(
        f"[red]错误[/red] {escape(error.message)} [dim]({escape(error.error_code)})[/dim]"
    )
    for field, problem in error.fields.items():
        err_console.print(f"  {escape(field)}: {escape(problem)}")
    raise typer.Exit(code=1)
