"""Every table of the metadata database, imported for Alembic and tests."""

from govdata.accounts.models import (
    ApiKey,
    Application,
    LoginSession,
    RoleAssignment,
    UsedNonce,
    User,
)
from govdata.db import Base
from govdata.events import EventRecord
from govdata.nodes.models import Node
from govdata.orgs.models import Division, DivisionEdition, Organisation

__all__ = [
    "ApiKey",
    "Application",
    "Base",
    "Division",
    "DivisionEdition",
    "EventRecord",
    "LoginSession",
    "Node",
    "Organisation",
    "RoleAssignment",
    "UsedNonce",
    "User",
]
