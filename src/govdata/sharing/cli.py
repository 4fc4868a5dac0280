"""`govdata sharing`: run the subscription dispatcher and bulk deliveries by hand."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from govdata.cli_support import console, fail, load_settings, prepare_node
from govdata.errors import GovdataError
from govdata.services import build_services
from govdata.sharing.bulk import run_delivery
from govdata.sharing.subscriptions import dispatch, run_deliveries

sharing_app = typer.Typer(
    help="Bulk deliveries and subscriptions of shared data.", no_args_is_help=True
)


@sharing_app.command("dispatch")
def dispatch_command(
    loop: Annotated[
        bool, typer.Option(help="Keep dispatching every subscription_dispatch_seconds.")
    ] = False,
) -> None:
    """Turn committed versions into change batches, publish them (nats), flag stalled
    subscribers and run queued or interrupted bulk deliveries."""
    settings = load_settings()
    db = prepare_node(settings)
    services = build_services(settings)
    while True:
        try:
            report = dispatch(db, settings, services)
            deliveries = run_deliveries(db, settings, services)
        except GovdataError as error:
            fail(error)
        console.print(
            f"变更批次 {len(report.batches)} 个，发布 {report.published} 个，"
            f"标记未确认订阅 {len(report.flagged)} 个，批量交付 {len(deliveries)} 个"
        )
        if not loop:
            return
        time.sleep(settings.subscription_dispatch_seconds)


@sharing_app.command("deliver")
def deliver_command(
    delivery_id: Annotated[str, typer.Argument(help="The delivery to run or resume.")],
) -> None:
    """Run a bulk delivery, or resume an interrupted one from its first part not done."""
    settings = load_settings()
    db = prepare_node(settings)
    try:
        status = run_delivery(db, settings, build_services(settings), delivery_id)
    except GovdataError as error:
        fail(error)
    console.print(f"批量交付 {delivery_id}：{status}")
