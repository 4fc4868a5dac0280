"""Access by grade (X2), table-driven: every action, role, relation and grade.

``EXPECTATIONS`` names every registered action and says whether it reads graded data
(and of which kind) or why it does not; a test fails when an action is added without
an entry here. ``SPEC`` is the policy as this test expects it, written out by hand:
the grade policy in ``govdata.access.policy`` must agree with it cell by cell, and
the decision must follow it for actors and data built for each relation.
The reads themselves are exercised through the actions in
``tests/aggregation/test_grade_reads.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from scripts.gen_access_docs import PAGE, render, updated

from govdata.access.grants import AccessGrant
from govdata.access.permissions import GRANT_PERMISSION
from govdata.access.policy import (
    GRADE_POLICY,
    RELATIONS,
    GradedResource,
    ReadKind,
    Relation,
    ceiling,
    decide,
    decide_all,
    grant_roles,
)
from govdata.areas import build_policy, build_registry
from govdata.authz import ANONYMOUS, Actor, OrgRef, Role, RoleGrant, system_actor
from govdata.grades import Grade

# --- which actions read graded data --------------------------------------------------


@dataclass(frozen=True)
class Reads:
    """The action serves graded data of this kind; ``how`` says what it decides on."""

    kind: ReadKind
    how: str


@dataclass(frozen=True)
class NotARead:
    reason: str


METADATA, VALUES = ReadKind.METADATA, ReadKind.VALUES
ACCOUNTS = NotARead("accounts, roles, applications and keys: no graded data")
WRITE = NotARead(
    "a write by the holder's drafter or reviewer; returns what it changed, which its "
    "caller may read at any grade (metadata: own/subtree up to core)"
)

EXPECTATIONS: dict[str, Reads | NotARead] = {
    # accounts and sessions
    "api_key_create": ACCOUNTS,
    "api_key_revoke": ACCOUNTS,
    "application_create": ACCOUNTS,
    "application_list": ACCOUNTS,
    "application_set_active": ACCOUNTS,
    "application_show": ACCOUNTS,
    "password_change": ACCOUNTS,
    "role_grant": ACCOUNTS,
    "role_revoke": ACCOUNTS,
    "session_login": ACCOUNTS,
    "session_logout": ACCOUNTS,
    "user_create": ACCOUNTS,
    "user_list": ACCOUNTS,
    "user_set_active": ACCOUNTS,
    "user_show": ACCOUNTS,
    # node and organisations
    "node_show": NotARead("the node's identity and public key"),
    "division_import": NotARead("the public division table"),
    "division_list": NotARead("the public division table"),
    "region_create": NotARead("organisations are public"),
    "department_create": NotARead("organisations are public"),
    "organisation_find": NotARead("organisations are public"),
    "organisation_options": NotARead("organisations are public"),
    "organisation_show": NotARead("organisations are public"),
    "organisation_stats": NotARead("counts of organisations"),
    "organisation_tree": NotARead("organisations are public"),
    # the catalog
    "entry_show": Reads(METADATA, "the versions shown (in force, and in progress to insiders)"),
    "entry_version_show": Reads(METADATA, "the version asked for"),
    "entry_compare": Reads(METADATA, "both versions compared"),
    "entry_list": Reads(METADATA, "a list: each entry's latest version, filtered in SQL"),
    "entry_export": Reads(METADATA, "a list (also CKAN and DCAT): versions in force, in SQL"),
    "catalog_search": Reads(METADATA, "a search: only grades visible in every department"),
    "entry_create": WRITE,
    "entry_update": WRITE,
    "entry_submit": WRITE,
    "entry_review": WRITE,
    "entry_revise": WRITE,
    "entry_precheck": NotARead("problems of the caller's own draft, to its drafter"),
    "review_queue": NotARead(
        "names of submitted versions, to reviewers of their scope (who read metadata of "
        "every grade there)"
    ),
    "catalog_ledger": NotARead("counts by region, no entry"),
    "catalog_deadlines": NotARead("registration obligations and due days, no entry content"),
    "obligation_create": NotARead("records a registration obligation"),
    "catalog_reindex": NotARead("rebuilds the search index; returns counts"),
    "system_list": NotARead("information systems of departments, not data"),
    "system_register": NotARead("registers an information system"),
    # aggregation
    "data_read": Reads(VALUES, "the source's entry; in scope or through an access grant"),
    "version_manifest": Reads(VALUES, "the source's entry: the file list hands the data over"),
    "quarantine_page": Reads(VALUES, "the run's source (or library members): raw values"),
    "version_list": Reads(METADATA, "the source's entry: commit metadata, no values"),
    "lineage_graph": Reads(
        METADATA, "a source's entry: origins, jobs, versions and column names, no values"
    ),
    "source_register": NotARead("registers a source; no data is read"),
    "source_update": NotARead("changes a source's settings"),
    "source_get": NotARead("a source's configuration (declared columns), no values"),
    "source_list": NotARead("sources' configuration, no values"),
    "source_schema_changes": NotARead("column names that appeared or went missing"),
    "inbox_store": NotARead("stores an upload of the caller's own"),
    "run_start": NotARead("starts a load; the runner reads inside the platform"),
    "run_retry": NotARead("starts a load again"),
    "run_get": NotARead("a run's counts and status"),
    "run_list": NotARead("runs' counts and status"),
    # libraries
    "library_read": Reads(VALUES, "each member's entry against that member's holder"),
    "library_create": NotARead("defines a library"),
    "library_add_member": NotARead(
        "adds a source; the copy keeps the member's holder and grade, decided at each read"
    ),
    "library_build": NotARead("starts a build inside the platform"),
    "library_get": NotARead("a library's schema and members, no values"),
    "library_list": NotARead("libraries' schemas and members, no values"),
    "profile_build": NotARead(
        "links sources inside the platform; needs profile:manage over every source's holder"
    ),
    # objections: the record is named by its key; the filing is decided like a read of it
    # data elements: the shared vocabulary, and conformance against it
    "element_list": NotARead("national and node data element definitions, no data"),
    "element_define": NotARead("defines a data element; no data is read"),
    "element_check_entry": Reads(METADATA, "the entry's items, decided as entry_show decides"),
    "element_check_source": Reads(
        VALUES, "the source's entry: values outside code lists are values of the data"
    ),
    "objection_file": NotARead(
        "files an objection; the record's existence is checked under the reporter's own "
        "grade decision on the source, and nothing of it is returned"
    ),
    "objection_answer": NotARead("the holder answers about its own record"),
    "objection_accept": NotARead("the reporter closes its own objection"),
    "objection_dispute": NotARead("the reporter disputes the answer"),
    "objection_escalate": NotARead("the authority takes up an objection in its scope"),
    "objection_resolve": NotARead("the authority decides an objection in its scope"),
    "objection_get": NotARead(
        "an objection and the key of the record the reporter named, shown to the two parties "
        "and their authorities only; no values of the data"
    ),
    "objection_list": NotARead("objections of the caller's scope; no values of the data"),
    "profile_get": Reads(VALUES, "every contributing source's entry, against its holder"),
    "profile_search": Reads(VALUES, "the entries of the sources behind the profiles found"),
    "ledger_entries": NotARead(
        "ledger entries record events (who read or changed what, under which decision), "
        "not the data; node-wide to holders of ledger:read (auditors, reviewers)"
    ),
    "ledger_entry": NotARead("one ledger entry (an event's facts) and its hash proof"),
    "ledger_checkpoint_latest": NotARead("a signed tree size and root hash"),
    "ledger_consistency": NotARead("hashes proving one ledger size extends another"),
    # the audit trail and its alerts (X6)
    "audit_search": NotARead(
        "events (who read what, when, from where, under which decision), not the data; "
        "to auditors, for the organisations in their scope"
    ),
    "audit_export": NotARead("the audit search as CSV: events, not the data"),
    "audit_alert_list": NotARead("alerts of the behaviour rules: counts and thresholds"),
    "audit_alert_review": NotARead("releases or confirms an alert; returns the alert"),
    # data quality
    "quality_failures": Reads(
        VALUES, "failing rows' keys and values: the source's entry (or each library member's)"
    ),
    "quality_rules_set": NotARead("declares a resource's rules; no data is read"),
    "quality_rules_get": NotARead("a resource's rules, no values"),
    "quality_run_start": NotARead(
        "evaluates inside the platform; returns counts and scores, no values"
    ),
    "quality_run_get": NotARead("a quality run's counts and scores"),
    "quality_run_list": NotARead("quality runs' counts and scores"),
    "quality_scores": NotARead("scores rolled up from counts, no values"),
    # multi-source verification and duplicate collection (G3, G4)
    "verification_authority_set": WRITE,
    "verification_authority_list": NotARead("which table is authoritative for which field"),
    "verification_run_start": NotARead(
        "compares inside the platform; needs verification:run over every input's holder; "
        "returns counts, no values"
    ),
    "verification_run_get": NotARead("a comparison run's inputs and counts per field"),
    "verification_run_list": NotARead("comparison runs' inputs and counts"),
    "verification_conflicts": Reads(
        VALUES, "every input's entry (each library member's), against its holder"
    ),
    "duplicate_scan": NotARead(
        "measures overlap inside the platform; needs verification:run over every source's "
        "holder; returns column names and ratios, no values"
    ),
    "duplicate_list": NotARead("column names and overlap ratios of scans, no values"),
    # sharing (S1, S5): applications and grants name an entry's items, never its values;
    # reads under a grant are decided by data_read and the other reads above
    "share_apply": NotARead(
        "applies for an entry; returns the application (the item names the caller gave)"
    ),
    "share_review": NotARead("the holder decides an application for its own entry"),
    "share_escalate": NotARead("the authority takes up an overdue review in its scope"),
    "share_decide": NotARead("the authority decides an escalated application in its scope"),
    "share_application_get": NotARead(
        "an application's terms, to its two parties and their authorities; no values"
    ),
    "share_application_list": NotARead("applications of the caller's scope; no values"),
    "share_grounds_list": NotARead("the public list of legal grounds for refusing to share"),
    "share_grounds_set": NotARead("maintains the list of legal grounds"),
    "grant_get": NotARead(
        "a grant's terms (item names, masking, scope, quotas) and the names and key "
        "columns of its entry's callable sources; no values"
    ),
    "grant_list": NotARead("grants of the caller's scope: terms and source names, no values"),
    "grant_suspend": NotARead("the holder or its authority suspends a grant"),
    "grant_resume": NotARead("the holder or its authority resumes a grant"),
    "grant_renew": NotARead("the holder or its authority sets a grant's end date"),
    "grant_revoke": NotARead("the holder or its authority revokes a grant"),
    "share_return": NotARead("the holder grants its entry to local departments; no values"),
    "delivery_start": Reads(VALUES, "the grant's entry against the grant's ceiling: the rows"),
    "delivery_file": Reads(VALUES, "the grant's entry against the grant's ceiling: the files"),
    "delivery_get": NotARead("a delivery's progress, counts and checksums; no values"),
    "delivery_list": NotARead("deliveries of the caller's scope: counts and checksums"),
    "subscription_create": NotARead(
        "subscribes under a grant (decided by grade); values are served by subscription_pull"
    ),
    "subscription_list": NotARead("subscriptions of the caller's scope: versions and lag"),
    "subscription_cancel": NotARead("the grantee cancels its own subscription"),
    "subscription_ack": NotARead("the grantee acknowledges batches it received; no values"),
    "subscription_batch_list": NotARead(
        "a subscription's pending batches: versions, counts and digests, never their rows"
    ),
    "subscription_pull": Reads(VALUES, "the grant's entry against the grant's ceiling: changes"),
    "service_query": Reads(VALUES, "the source behind the grant's entry, through that grant"),
    "service_verify": Reads(
        VALUES, "the source behind the grant's entry, through that grant (match results only)"
    ),
}


def test_every_registered_action_is_in_the_table() -> None:
    missing = sorted(set(build_registry().names()) - set(EXPECTATIONS))
    assert missing == [], f"say in EXPECTATIONS whether these read graded data: {missing}"


def test_the_table_names_no_action_that_does_not_exist() -> None:
    assert sorted(set(EXPECTATIONS) - set(build_registry().names())) == []


def test_every_reason_says_something() -> None:
    for name, expectation in EXPECTATIONS.items():
        text = expectation.reason if isinstance(expectation, NotARead) else expectation.how
        assert len(text) >= 10, name


# --- the policy, cell by cell ---------------------------------------------------------

# The highest grade served, per role, in the order own, subtree, granted, member,
# public; "—" refuses every grade. In the granted column the grant's own ceiling
# applies below the cell.
SPEC: dict[ReadKind, dict[Role, tuple[str, str, str, str, str]]] = {
    VALUES: {
        Role.PROVIDER_OFFICER: ("core", "important", "—", "—", "—"),
        Role.AUTHORITY_REVIEWER: ("important", "important", "core", "—", "—"),
        Role.PLATFORM_ADMIN: ("general_2", "general_2", "core", "—", "—"),
        Role.AUDITOR: ("general_2", "general_2", "core", "—", "—"),
        Role.CONSUMER_OFFICER: ("—", "—", "core", "—", "—"),
        Role.MEMBER: ("—", "—", "—", "—", "—"),
        Role.PUBLIC: ("—", "—", "—", "—", "general_1"),
    },
    METADATA: {
        Role.PROVIDER_OFFICER: ("core", "core", "—", "—", "—"),
        Role.AUTHORITY_REVIEWER: ("core", "core", "core", "—", "—"),
        Role.PLATFORM_ADMIN: ("core", "core", "core", "—", "—"),
        Role.AUDITOR: ("core", "core", "core", "—", "—"),
        Role.CONSUMER_OFFICER: ("—", "—", "core", "—", "—"),
        Role.MEMBER: ("—", "—", "—", "important", "—"),
        Role.PUBLIC: ("—", "—", "—", "—", "general_4"),
    },
}


def spec_allows(kind: ReadKind, role: Role, relation: Relation, grade: Grade) -> bool:
    cell = SPEC[kind][role][RELATIONS.index(relation)]
    return cell != "—" and grade.rank <= Grade(cell).rank


CELLS = [
    (kind, role, relation, grade)
    for kind in ReadKind
    for role in Role
    for relation in Relation
    for grade in Grade
]


def test_the_spec_and_the_policy_cover_every_kind_role_and_relation() -> None:
    assert set(SPEC) == set(GRADE_POLICY) == set(ReadKind)
    for kind in ReadKind:
        assert set(SPEC[kind]) == set(GRADE_POLICY[kind]) == set(Role)


@pytest.mark.parametrize(("kind", "role", "relation", "grade"), CELLS)
def test_the_policy_cell_allows_what_the_spec_allows(
    kind: ReadKind, role: Role, relation: Relation, grade: Grade
) -> None:
    cell = ceiling(kind, role, relation)
    allowed = cell is not None and grade.rank <= cell.rank
    assert allowed is spec_allows(kind, role, relation, grade)


def test_core_values_are_served_through_no_relation_but_own_and_a_grant() -> None:
    for role in Role:
        for relation in Relation:
            if spec_allows(VALUES, role, relation, Grade.CORE):
                assert relation in {Relation.OWN, Relation.GRANTED}, (role, relation)


def test_only_roles_that_may_use_grants_hold_the_grant_permission() -> None:
    assert grant_roles() == {
        Role.AUTHORITY_REVIEWER,
        Role.PLATFORM_ADMIN,
        Role.AUDITOR,
        Role.CONSUMER_OFFICER,
    }
    assert build_policy().get(GRANT_PERMISSION).roles == grant_roles()


def test_the_security_page_shows_the_policy_as_it_is() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page == updated(page), "run: .venv/bin/python scripts/gen_access_docs.py"


def test_the_security_page_has_a_row_for_every_role_of_each_kind() -> None:
    generated = render()
    for kind in ReadKind:
        assert f"`{kind.value}`)" in generated
    for role in Role:
        assert generated.count(f"`{role.value}` |") == len(ReadKind)


# --- the decision, for actors and data built for each relation ------------------------

REGION = OrgRef("region", "/region/")
HOLDER = OrgRef("holder", "/region/holder/")
CONSUMER = OrgRef("consumer", "/region/consumer/")
ELSEWHERE = OrgRef("elsewhere", "/other/elsewhere/")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def data(grade: Grade | None, *, open_data: bool = False) -> GradedResource:
    return GradedResource("entry-1", HOLDER, grade, open_data)


def grant(
    ceiling_grade: Grade = Grade.CORE, *, expires: datetime = NOW + timedelta(days=30)
) -> AccessGrant:
    return AccessGrant("grant-1", HOLDER.id, CONSUMER.id, "entry-1", ceiling_grade, expires)


def person(role: Role, at: OrgRef, *, subtree: bool = False) -> Actor:
    return Actor(kind="user", id="u", name="u", grants=(RoleGrant(role, at.id, at.path, subtree),))


ASSIGNED = sorted(set(Role) - {Role.PUBLIC, Role.MEMBER})


def actor_for(role: Role, relation: Relation) -> tuple[Actor, list[AccessGrant]]:
    """An actor reaching ``data()`` through ``relation`` with ``role`` (and, being
    signed in, as a member too)."""
    if relation is Relation.OWN:
        return person(role, HOLDER), []
    if relation is Relation.SUBTREE:
        return person(role, REGION, subtree=True), []
    return person(role, CONSUMER), [grant()]


@pytest.mark.parametrize("kind", list(ReadKind))
@pytest.mark.parametrize("role", ASSIGNED)
@pytest.mark.parametrize("relation", [Relation.OWN, Relation.SUBTREE, Relation.GRANTED])
@pytest.mark.parametrize("grade", list(Grade))
def test_a_role_reaches_data_as_the_spec_says(
    kind: ReadKind, role: Role, relation: Relation, grade: Grade
) -> None:
    actor, grants = actor_for(role, relation)
    decision = decide(actor, data(grade), kind, grants, NOW)
    # Every signed-in caller is also a member of the node.
    expected = spec_allows(kind, role, relation, grade) or spec_allows(
        kind, Role.MEMBER, Relation.MEMBER, grade
    )
    assert decision.allowed is expected
    assert decision.reason == ("allowed" if expected else "grade_forbidden")
    assert decision.grade is grade
    assert decision.kind is kind


@pytest.mark.parametrize("kind", list(ReadKind))
@pytest.mark.parametrize("grade", list(Grade))
def test_members_and_the_public_reach_data_as_the_spec_says(kind: ReadKind, grade: Grade) -> None:
    member = Actor(kind="user", id="m", name="m")
    assert decide(member, data(grade), kind, [], NOW).allowed is spec_allows(
        kind, Role.MEMBER, Relation.MEMBER, grade
    )
    assert decide(ANONYMOUS, data(grade, open_data=True), kind, [], NOW).allowed is spec_allows(
        kind, Role.PUBLIC, Relation.PUBLIC, grade
    )
    assert not decide(ANONYMOUS, data(grade), kind, [], NOW).allowed


@pytest.mark.parametrize("role", ASSIGNED)
def test_a_role_held_elsewhere_reaches_no_values(role: Role) -> None:
    for grade in Grade:
        assert not decide(person(role, ELSEWHERE), data(grade), VALUES, [], NOW).allowed


def test_a_grant_serves_up_to_its_own_ceiling() -> None:
    consumer = person(Role.CONSUMER_OFFICER, CONSUMER)
    grants = [grant(Grade.GENERAL_3)]
    assert decide(consumer, data(Grade.GENERAL_3), VALUES, grants, NOW).allowed
    refused = decide(consumer, data(Grade.GENERAL_4), VALUES, grants, NOW)
    assert (refused.allowed, refused.reason, refused.ceiling) == (
        False,
        "grade_forbidden",
        Grade.GENERAL_3,
    )


def test_an_expired_grant_is_refused_as_expired() -> None:
    consumer = person(Role.CONSUMER_OFFICER, CONSUMER)
    grants = [grant(expires=NOW)]
    decision = decide(consumer, data(Grade.GENERAL_1), VALUES, grants, NOW)
    assert (decision.allowed, decision.reason, decision.grant_id) == (
        False,
        "grant_expired",
        "grant-1",
    )


def test_a_grant_names_one_resource_of_one_holder_for_one_grantee() -> None:
    consumer = person(Role.CONSUMER_OFFICER, CONSUMER)
    other_entry = GradedResource("entry-2", HOLDER, Grade.GENERAL_1)
    other_holder = GradedResource("entry-1", ELSEWHERE, Grade.GENERAL_1)
    assert not decide(consumer, other_entry, VALUES, [grant()], NOW).allowed
    assert not decide(consumer, other_holder, VALUES, [grant()], NOW).allowed
    outsider = person(Role.CONSUMER_OFFICER, ELSEWHERE)
    assert not decide(outsider, data(Grade.GENERAL_1), VALUES, [grant()], NOW).allowed


def test_a_consumer_role_held_over_a_subtree_does_not_inherit_grants_below_it() -> None:
    """Grants are used where the role is held, not by whoever's scope covers the grantee."""
    regional = person(Role.CONSUMER_OFFICER, REGION, subtree=True)
    assert not decide(regional, data(Grade.GENERAL_1), VALUES, [grant()], NOW).allowed


def test_ungraded_data_is_decided_as_core_data() -> None:
    own = decide(person(Role.PROVIDER_OFFICER, HOLDER), data(None), VALUES, [], NOW)
    assert own.allowed
    assert own.grade is None
    for role in ASSIGNED:
        refused = decide(person(role, REGION, subtree=True), data(None), VALUES, [], NOW)
        assert not refused.allowed, role


def test_the_local_operator_reads_values_as_a_platform_administrator_of_the_whole_node() -> None:
    operator = system_actor()
    assert decide(operator, data(Grade.GENERAL_2), VALUES, [], NOW).allowed
    refused = decide(operator, data(Grade.GENERAL_3), VALUES, [], NOW)
    assert (refused.relation, refused.ceiling) == (Relation.SUBTREE, Grade.GENERAL_2)
    assert decide(operator, data(Grade.CORE), METADATA, [], NOW).allowed


def test_the_most_specific_relation_is_recorded() -> None:
    both = Actor(
        kind="user",
        id="u",
        name="u",
        grants=(
            RoleGrant(Role.PROVIDER_OFFICER, HOLDER.id, HOLDER.path, False),
            RoleGrant(Role.AUTHORITY_REVIEWER, REGION.id, REGION.path, True),
        ),
    )
    decision = decide(both, data(Grade.IMPORTANT), VALUES, [], NOW)
    assert (decision.relation, decision.role) == (Relation.OWN, Role.PROVIDER_OFFICER)


def test_data_of_several_holders_is_allowed_only_when_every_part_is() -> None:
    reviewer = person(Role.AUTHORITY_REVIEWER, REGION, subtree=True)
    important = data(Grade.IMPORTANT)
    core = GradedResource("entry-2", HOLDER, Grade.CORE)
    general = GradedResource("entry-3", HOLDER, Grade.GENERAL_1)
    assert decide_all(reviewer, [general, important], VALUES, [], NOW).grade is Grade.IMPORTANT
    refused = decide_all(reviewer, [general, core, important], VALUES, [], NOW)
    assert (refused.allowed, refused.resource_id) == (False, "entry-2")
    with pytest.raises(ValueError, match="nothing"):
        decide_all(reviewer, [], VALUES, [], NOW)
