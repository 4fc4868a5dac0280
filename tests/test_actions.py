"""The action layer: every action authorises, input is validated at the boundary."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import delete, select, text

from govdata.actions import ActionRegistry, ActionSet, AuthorizationNotChecked, Context
from govdata.areas import ACTION_SETS, build_policy
from govdata.authz import ANONYMOUS
from govdata.db import WriteInReadOnlyUnit
from govdata.errors import Forbidden, GovdataError, InvalidInput, Unauthenticated
from govdata.events import EventRecord
from govdata.orgs.models import Organisation
from tests.factories import anonymous


def test_every_action_authorises_before_it_returns(
    registry: ActionRegistry, operator: Context
) -> None:
    """The audit: run each action with its example input as an anonymous caller.

    It must either refuse (Unauthenticated/Forbidden) or have asked the policy
    at least once; an action that returns or fails without asking is a defect.
    """
    forgetful: list[str] = []
    for name in registry.names():
        ctx = anonymous(operator)
        nested = ctx.session.begin_nested()
        try:
            registry.run(name, ctx, registry.get(name).example)
        except (Unauthenticated, Forbidden):
            pass
        except AuthorizationNotChecked:
            forgetful.append(name)
        except GovdataError:
            if not ctx.checks:
                forgetful.append(name)
        finally:
            nested.rollback()
    assert forgetful == []


def test_every_example_input_is_valid_for_its_action(registry: ActionRegistry) -> None:
    for name in registry.names():
        spec = registry.get(name)
        spec.input_model.model_validate(spec.example)


def test_every_permission_an_action_asks_for_is_declared(
    registry: ActionRegistry, operator: Context
) -> None:
    declared = {perm.name for perm in build_policy().all()}
    asked: set[str] = set()
    for name in registry.names():
        ctx = anonymous(operator)
        nested = ctx.session.begin_nested()
        try:
            registry.run(name, ctx, registry.get(name).example)
        except GovdataError:
            pass
        finally:
            nested.rollback()
        asked.update(ctx.checks)
    assert asked <= declared


class _Empty(BaseModel):
    pass


def test_an_action_that_forgets_to_authorise_is_refused_at_runtime(operator: Context) -> None:
    rogue = ActionSet("rogue")

    @rogue.register("rogue_read", _Empty, example={}, summary="forgets authorisation")
    def rogue_read(ctx: Context, data: _Empty) -> dict[str, str]:
        return {"leaked": "yes"}

    registry = ActionRegistry([rogue])
    with pytest.raises(AuthorizationNotChecked):
        registry.run("rogue_read", operator, {})


def test_an_action_name_can_be_registered_only_once() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        ActionRegistry([*ACTION_SETS, *ACTION_SETS])


def test_invalid_input_is_refused_with_field_details_before_the_action_runs(
    registry: ActionRegistry, operator: Context
) -> None:
    with pytest.raises(InvalidInput) as raised:
        registry.run("department_create", operator, {"name": "x"})
    assert raised.value.error_code == "invalid_input"
    assert set(raised.value.fields) >= {"name", "credit_code", "parent_id"}
    assert "必填" in raised.value.fields["credit_code"]


def test_unknown_fields_are_refused(registry: ActionRegistry, operator: Context) -> None:
    with pytest.raises(InvalidInput) as raised:
        registry.run("organisation_tree", operator, {"rootid": "typo"})
    assert "rootid" in raised.value.fields


def test_after_commit_callbacks_run_only_when_the_transaction_commits(
    operator: Context,
) -> None:
    fired: list[str] = []
    nested = operator.session.begin_nested()
    operator.after_commit(lambda: fired.append("sent"))
    nested.rollback()
    assert fired == []


def test_a_read_only_unit_of_work_refuses_flushes_and_bulk_writes(
    app: FastAPI,
) -> None:
    runtime = app.state.runtime

    def rename(ctx: Context) -> None:
        org = ctx.session.scalars(select(Organisation)).first()
        assert org is not None
        org.name = "改名"
        ctx.session.flush()

    def bulk_delete(ctx: Context) -> None:
        ctx.session.execute(delete(EventRecord))

    for work in (rename, bulk_delete):
        with pytest.raises(WriteInReadOnlyUnit):
            runtime.unit_of_work(ANONYMOUS, None, work, read_only=True)


def test_a_read_only_unit_of_work_refuses_textual_sql_writes_too(app: FastAPI) -> None:
    runtime = app.state.runtime

    def raw_delete(ctx: Context) -> None:
        ctx.session.execute(text("DELETE FROM events"))

    with pytest.raises(WriteInReadOnlyUnit):
        runtime.unit_of_work(ANONYMOUS, None, raw_delete, read_only=True)
    # The ban ends with the unit of work.
    runtime.unit_of_work(
        ANONYMOUS, None, lambda ctx: ctx.session.execute(text("DELETE FROM used_nonces"))
    )
