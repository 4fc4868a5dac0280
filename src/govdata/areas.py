"""Composition of the areas: their actions and their permissions.

Adding an area means adding its action sets and its permission declarations
here (see docs/patterns.md); nothing is discovered by import side effects.
"""

from __future__ import annotations

from govdata.access.permissions import PERMISSIONS as ACCESS_PERMISSIONS
from govdata.accounts import application_actions, session_actions, user_actions
from govdata.accounts.permissions import PERMISSIONS as ACCOUNT_PERMISSIONS
from govdata.actions import ActionRegistry, ActionSet
from govdata.aggregation import data_actions, run_actions, source_actions
from govdata.aggregation.permissions import PERMISSIONS as AGGREGATION_PERMISSIONS
from govdata.audit import actions as audit_actions
from govdata.audit.permissions import PERMISSIONS as AUDIT_PERMISSIONS
from govdata.audit.refusals import record_refusal
from govdata.authz import Permission, PolicyTable
from govdata.catalog import (
    deadline_actions,
    entry_actions,
    ledger_actions,
    read_actions,
    review_actions,
    search_actions,
    system_actions,
)
from govdata.catalog.permissions import PERMISSIONS as CATALOG_PERMISSIONS
from govdata.elements import actions as element_actions
from govdata.elements.permissions import PERMISSIONS as ELEMENT_PERMISSIONS
from govdata.ledger import actions as ledger_record_actions
from govdata.ledger.permissions import PERMISSIONS as LEDGER_PERMISSIONS
from govdata.libraries import actions as library_actions
from govdata.lineage import actions as lineage_actions
from govdata.nodes import actions as node_actions
from govdata.nodes.permissions import PERMISSIONS as NODE_PERMISSIONS
from govdata.objections import actions as objection_actions
from govdata.objections.permissions import PERMISSIONS as OBJECTION_PERMISSIONS
from govdata.orgs import actions as org_actions
from govdata.orgs.permissions import PERMISSIONS as ORG_PERMISSIONS
from govdata.profiles import actions as profile_actions
from govdata.profiles.permissions import PERMISSIONS as PROFILE_PERMISSIONS
from govdata.quality import rule_actions as quality_rule_actions
from govdata.quality import run_actions as quality_run_actions
from govdata.quality import score_actions as quality_score_actions
from govdata.quality.permissions import PERMISSIONS as QUALITY_PERMISSIONS
from govdata.sharing import application_actions as share_application_actions
from govdata.sharing import bulk_actions as share_bulk_actions
from govdata.sharing import grant_actions as share_grant_actions
from govdata.sharing import service_actions as share_service_actions
from govdata.sharing import subscription_actions as share_subscription_actions
from govdata.sharing.delivery_permissions import PERMISSIONS as SHARING_DELIVERY_PERMISSIONS
from govdata.sharing.permissions import PERMISSIONS as SHARING_PERMISSIONS
from govdata.sharing.service_permissions import PERMISSIONS as SERVICE_PERMISSIONS
from govdata.verification import authority_actions as verification_authority_actions
from govdata.verification import duplicate_actions as verification_duplicate_actions
from govdata.verification import run_actions as verification_run_actions
from govdata.verification.permissions import PERMISSIONS as VERIFICATION_PERMISSIONS

ACTION_SETS: tuple[ActionSet, ...] = (
    node_actions.actions,
    org_actions.actions,
    user_actions.actions,
    session_actions.actions,
    application_actions.actions,
    entry_actions.actions,
    review_actions.actions,
    read_actions.actions,
    system_actions.actions,
    deadline_actions.actions,
    ledger_actions.actions,
    search_actions.actions,
    source_actions.actions,
    run_actions.actions,
    data_actions.actions,
    library_actions.actions,
    lineage_actions.actions,
    objection_actions.actions,
    share_application_actions.actions,
    share_grant_actions.actions,
    share_bulk_actions.actions,
    share_subscription_actions.actions,
    share_service_actions.actions,
    element_actions.actions,
    ledger_record_actions.actions,
    audit_actions.actions,
    quality_rule_actions.actions,
    quality_run_actions.actions,
    quality_score_actions.actions,
    profile_actions.actions,
    verification_authority_actions.actions,
    verification_run_actions.actions,
    verification_duplicate_actions.actions,
)

PERMISSIONS: tuple[Permission, ...] = (
    *NODE_PERMISSIONS,
    *ORG_PERMISSIONS,
    *ACCOUNT_PERMISSIONS,
    *CATALOG_PERMISSIONS,
    *AGGREGATION_PERMISSIONS,
    *ACCESS_PERMISSIONS,
    *LEDGER_PERMISSIONS,
    *AUDIT_PERMISSIONS,
    *OBJECTION_PERMISSIONS,
    *SHARING_PERMISSIONS,
    *SHARING_DELIVERY_PERMISSIONS,
    *SERVICE_PERMISSIONS,
    *ELEMENT_PERMISSIONS,
    *QUALITY_PERMISSIONS,
    *PROFILE_PERMISSIONS,
    *VERIFICATION_PERMISSIONS,
)


def build_registry() -> ActionRegistry:
    return ActionRegistry(ACTION_SETS, on_refusal=record_refusal)


def build_policy() -> PolicyTable:
    return PolicyTable(PERMISSIONS)
