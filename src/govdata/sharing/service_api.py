"""JSON API routes of the query and verification services.

They run their actions like every route, with two differences. A request whose
signature is refused (missing headers, skewed timestamp, replayed nonce,
unknown or revoked key, wrong signature) is audited as ``audit:request:refused``
naming the key id and the code, before the error is returned. And a signed
call is checked in the call's own reading transaction (one trip to a worker
thread, one transaction), its nonce consumed with the call's records, in the
transaction the group committer writes them in (govdata.web.group_commit), or
on its own when the call fails: either way the same request cannot be sent twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from govdata.accounts.services import (
    SignedCall,
    consume_nonce,
    consume_nonces,
)
from govdata.accounts.signing import KEY_HEADER, SIGNED_HEADERS
from govdata.actions import ActionRegistry, BatchedWrite, Context
from govdata.audit.history import REQUEST_REFUSED
from govdata.authz import ANONYMOUS, Actor
from govdata.db import Database, new_id, utcnow
from govdata.errors import GovdataError
from govdata.events import EventRecord
from govdata.web.api_routes import (
    SchemaCollector,
    add_action_route,
    parse_json_object,
    request_data,
    run_as,
)
from govdata.web.auth import CSRF_HEADER, authenticate, check_signature, require_csrf
from govdata.web.runtime import client_address_of, request_id_of, runtime_of

ERRORS = """
Signed with the application's key (headers X-Govdata-Key, X-Govdata-Timestamp,
X-Govdata-Nonce, X-Govdata-Signature; see the user guide). Errors (`error.code`):
`signature_incomplete`, `signature_invalid`, `signature_expired`, `signature_replayed`,
`api_key_unknown`, `api_key_revoked` (401); `grant_not_found`,
`service_resource_missing`, `lake_table_not_found` (404);
`service_application_not_allowed`, `service_application_mismatch`,
`service_method_not_granted`, `service_grant_suspended`, `service_grant_revoked`,
`service_grant_not_started`, `service_grant_expired`, `grant_field_not_granted`,
`grade_forbidden`, `operation_blocked` (403); `service_quota_calls`,
`service_quota_rows` (429); `service_key_malformed`, `service_key_required`,
`service_key_unavailable`, `service_quota_rows_per_call`, `service_column_unknown`,
`service_source_ambiguous`, `service_application_required`, `invalid_input` (422).
Every call, answered or refused, is audited; every answer is ledgered as
`sharing:delivery:made`.
"""

ROUTES = (
    ("POST", "/services/query", "service_query", 200),
    ("POST", "/services/verify", "service_verify", 200),
)


def refused_signature(request: Request, action: str, error: GovdataError) -> EventRecord:
    return EventRecord(
        id=new_id(),
        name=REQUEST_REFUSED,
        subject_id=action,
        actor_kind=ANONYMOUS.kind,
        actor_id=None,
        actor_name=ANONYMOUS.name,
        request_id=request_id_of(request),
        data={
            "action": action,
            "code": error.error_code,
            "message": error.message,
            "fields": error.fields,
            "targets": {"key_id": request.headers.get(KEY_HEADER, "")[:40]},
            "client_address": client_address_of(request),
            "actor_organisation_id": None,
        },
        occurred_at=utcnow(),
    )


def service_endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        if any(header in request.headers for header in SIGNED_HEADERS):
            return await signed_call(request, name, body)
        caller = await authenticate(request, body, allow_signed=False)
        require_csrf(request, caller, request.headers.get(CSRF_HEADER))
        data = await request_data(request, body, "body")
        return answer(await run_as(request, caller, name, data))

    endpoint.__name__ = name
    return endpoint


def answer(result: Any) -> Response:
    return JSONResponse(result.model_dump(mode="json"))


async def signed_call(request: Request, name: str, body: bytes) -> Response:
    """A call signed with an application's key: the signature is checked in the
    call's own (reading) transaction, and its nonce consumed with the call's
    records, or alone if the call fails after the signature passed."""
    rt = runtime_of(request)
    headers = {key.lower(): value for key, value in request.headers.items()}
    verified: list[SignedCall] = []

    def identify(session: Session) -> Actor:
        signed = check_signature(session, request, headers, body)
        verified.append(signed)
        return signed.actor

    def work(ctx: Context) -> Any:
        ctx.deferred_writes.append(NonceUse(verified[0]))
        data = parse_json_object(body, headers.get("content-type"))
        return rt.registry.run(name, ctx, data)

    try:
        result = await run_in_threadpool(
            partial(
                rt.unit_of_work,
                ANONYMOUS,
                request_id_of(request),
                work,
                read_only=rt.registry.is_read_only(name),
                writes_later=rt.registry.writes_later(name),
                client_address=client_address_of(request),
                identify=identify,
            )
        )
    except Exception as error:
        if not verified:  # the signature itself was refused: audited, nothing consumed
            if isinstance(error, GovdataError):
                record = refused_signature(request, name, error)
                await run_in_threadpool(rt.keep_survivors, [record])
            raise
        replayed = error if isinstance(error, GovdataError) else None
        if replayed is None or replayed.error_code != REPLAYED:
            replayed = await run_in_threadpool(consume_alone, rt.db, verified[0])
        if replayed is None:
            raise
        record = refused_signature(request, name, replayed)
        await run_in_threadpool(rt.keep_survivors, [record])
        raise replayed from None
    return answer(result)


REPLAYED = "signature_replayed"


@dataclass(frozen=True)
class NonceUse(BatchedWrite):
    """The call's nonce, consumed with its records (first, so that a replay is
    refused before any quota is spent); a batch's nonces in one statement."""

    signed: SignedCall

    @classmethod
    def write_batch(cls, session: Session, writes: Sequence[NonceUse]) -> None:
        consume_nonces(session, [write.signed for write in writes])


def consume_alone(db: Database, signed: SignedCall) -> GovdataError | None:
    """A call that failed still uses up its nonce, so the same request cannot be
    sent again; a nonce already used means the failed call was itself a replay,
    which is what it is refused as."""
    try:
        with db.transaction() as session:
            consume_nonce(session, signed)
    except GovdataError as replayed:
        return replayed
    return None


def add_routes(router: APIRouter, registry: ActionRegistry, schemas: SchemaCollector) -> None:
    for method, path, action, status in ROUTES:
        add_action_route(
            router,
            registry,
            schemas,
            method=method,
            path=path,
            action=action,
            tags=["services"],
            status_code=status,
            endpoint=service_endpoint(action),
            description=ERRORS,
        )
