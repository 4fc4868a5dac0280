"""Composition of the areas: their actions and their permissions.

Adding an area means adding its action sets and its permission declarations
here (see docs/patterns.md); nothing is discovered by import side effects.
"""

from __future__ import annotations

from govdata.accounts import application_actions, session_actions, user_actions
from govdata.accounts.permissions import PERMISSIONS as ACCOUNT_PERMISSIONS
from govdata.actions import ActionRegistry, ActionSet
from govdata.authz import Permission, PolicyTable
from govdata.nodes import actions as node_actions
from govdata.nodes.permissions import PERMISSIONS as NODE_PERMISSIONS
from govdata.orgs import actions as org_actions
from govdata.orgs.permissions import PERMISSIONS as ORG_PERMISSIONS

ACTION_SETS: tuple[ActionSet, ...] = (
    node_actions.actions,
    org_actions.actions,
    user_actions.actions,
    session_actions.actions,
    application_actions.actions,
)

PERMISSIONS: tuple[Permission, ...] = (*NODE_PERMISSIONS, *ORG_PERMISSIONS, *ACCOUNT_PERMISSIONS)


def build_registry() -> ActionRegistry:
    return ActionRegistry(ACTION_SETS)


def build_policy() -> PolicyTable:
    return PolicyTable(PERMISSIONS)
