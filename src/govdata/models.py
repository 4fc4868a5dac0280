"""Every table of the metadata database, imported for Alembic and tests."""

import govdata.access_generation
import govdata.audit.models
import govdata.crypto.models  # noqa: F401 (registers the crypto tables)
from govdata.accounts.models import (
    ApiKey,
    Application,
    LoginSession,
    RoleAssignment,
    UsedNonce,
    User,
)
from govdata.aggregation.models import (
    Library,
    LibraryMember,
    Run,
    SchemaChange,
    Source,
)
from govdata.catalog.models import (
    CatalogEntry,
    DataResource,
    EntryVersion,
    IndexQueueItem,
    InformationItem,
    InformationSystem,
    Obligation,
)
from govdata.db import Base
from govdata.elements.models import NodeElement
from govdata.events import EventRecord
from govdata.ledger import models as ledger_models  # noqa: F401 (registers the ledger tables)
from govdata.nodes.models import Node
from govdata.objections.models import Objection, ObjectionStep
from govdata.orgs.models import Division, DivisionEdition, Organisation
from govdata.profiles.models import (
    Profile,
    ProfileAlias,
    ProfileAttribute,
    ProfileRecord,
    ProfileRun,
)
from govdata.quality.models import QualityFailure, QualityRuleResult, QualityRuleSet, QualityRun
from govdata.sharing.delivery_models import (
    BulkDelivery,
    ChangeBatch,
    CommittedVersion,
    DeliveryPart,
    Subscription,
)
from govdata.sharing.models import Grant, RefusalGround, ShareApplication
from govdata.sharing.service_models import QuotaCounter
from govdata.verification.models import (
    DuplicatePair,
    DuplicateScan,
    VerificationAuthority,
    VerificationConflict,
    VerificationFieldStat,
    VerificationRun,
)

__all__ = [
    "ApiKey",
    "Application",
    "Base",
    "BulkDelivery",
    "CatalogEntry",
    "ChangeBatch",
    "CommittedVersion",
    "DataResource",
    "DeliveryPart",
    "Division",
    "DivisionEdition",
    "DuplicatePair",
    "DuplicateScan",
    "EntryVersion",
    "EventRecord",
    "Grant",
    "IndexQueueItem",
    "InformationItem",
    "InformationSystem",
    "Library",
    "LibraryMember",
    "LoginSession",
    "Node",
    "NodeElement",
    "Objection",
    "ObjectionStep",
    "Obligation",
    "Organisation",
    "Profile",
    "ProfileAlias",
    "ProfileAttribute",
    "ProfileRecord",
    "ProfileRun",
    "QualityFailure",
    "QualityRuleResult",
    "QualityRuleSet",
    "QualityRun",
    "QuotaCounter",
    "RefusalGround",
    "RoleAssignment",
    "Run",
    "SchemaChange",
    "ShareApplication",
    "Source",
    "Subscription",
    "UsedNonce",
    "User",
    "VerificationAuthority",
    "VerificationConflict",
    "VerificationFieldStat",
    "VerificationRun",
]
