"""Actions of the profiles area: build, read and search person and enterprise profiles."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select

from govdata.access.enforce import (
    actor_grants,
    authorize_holder,
    authorize_somewhere_to_read,
    require_grade,
)
from govdata.access.grants import AccessGrant
from govdata.access.permissions import GRANT_PERMISSION
from govdata.access.policy import Decision, GradedResource, ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.grading import record_read, source_resource
from govdata.aggregation.masked_reads import MaskedPage, mask_page
from govdata.aggregation.models import Source
from govdata.aggregation.store import get_source, org_ref
from govdata.audit.guard import ReadAttempt, guard_read
from govdata.audit.lookups import recorded_where
from govdata.authz import OrgRef
from govdata.crypto.errors import DataKeyMissing
from govdata.db import new_id
from govdata.errors import InvalidInput, NotFound
from govdata.events import record_event
from govdata.lake.protection import protection_for_reading
from govdata.lake.tables import LakeTable
from govdata.masking.kinds import SensitiveKind
from govdata.orgs.models import Organisation
from govdata.profiles import store
from govdata.profiles.events import ProfilesBuilt
from govdata.profiles.golden import golden_records
from govdata.profiles.kinds import KINDS, Kind, KindSpec
from govdata.profiles.linking import LinkOptions, SourceBatch, link
from govdata.profiles.models import Profile, ProfileAttribute, ProfileRecord, ProfileRun
from govdata.profiles.schemas import (
    AttributeValue,
    LinkedRecord,
    ProfileBuild,
    ProfileBuildOut,
    ProfileHit,
    ProfileHits,
    ProfileOut,
    ProfileRef,
    ProfileSearch,
)
from govdata.profiles.stable import assign_profile_ids

actions = ActionSet("profiles")

# Attributes masked for audiences that may not see them in clear (X3).
SENSITIVE = {
    Kind.PERSON: ("id_number", "name", "address", "phone", "record_key"),
    Kind.ENTERPRISE: ("legal_representative", "phone", "record_key"),
}


def _record_keys(table: pa.Table, source: Source, spec: KindSpec) -> pa.Array:
    """The source's key columns joined; without them, a digest of the row's attributes."""
    names = [name for name in source.key_columns if name in table.column_names]
    if names:
        parts = [pc.fill_null(table.column(n).cast(pa.string()), "") for n in names]
        return pc.binary_join_element_wise(*parts, "|")
    names = [name for name in spec.attributes if name in table.column_names]
    rows = zip(*(table.column(n).cast(pa.string()).to_pylist() for n in names), strict=True)
    return pa.array(
        [hashlib.sha256("\x1f".join(v or "" for v in row).encode()).hexdigest() for row in rows]
    )


def _source_batch(ctx: Context, source: Source, priority: int, spec: KindSpec) -> SourceBatch:
    lake = LakeTable(ctx.services.lake, source.table_name)
    version = lake.version() if lake.exists() else None
    if version is None:
        raise NotFound(
            f"数据源“{source.name}”尚未归集入库",
            code="lake_table_not_found",
            fields={"id": source.id},
        )
    table = lake.dataset(version).to_table()
    protection = protection_for_reading(ctx.session, ctx.services.keystore, lake, version)
    if protection is not None:
        table = protection.decrypt(table)
    if spec.key_column not in table.column_names and "name" not in table.column_names:
        raise InvalidInput(
            f"数据源“{source.name}”没有{spec.key_column}或name列，不能用于建档",
            fields={"source_ids": source.id},
        )
    keep = [name for name in (*spec.attributes, "updated_at") if name in table.column_names]
    records = table.select(keep).append_column("record_key", _record_keys(table, source, spec))
    return SourceBatch(source.id, records, priority=priority, version=version)


@actions.register(
    "profile_build",
    ProfileBuild,
    example={"kind": "person", "organisation_id": "<organisation id>", "source_ids": ["<id>"]},
    summary="Link the records of sources into person or enterprise profiles (exact on valid "
    "keys, then probabilistic); profile IDs stay stable across builds.",
)
def profile_build(ctx: Context, data: ProfileBuild) -> ProfileBuildOut:
    ctx.authorize_somewhere("profile:manage")
    org = ctx.session.get(Organisation, data.organisation_id)
    if org is None:
        raise NotFound("机构不存在", code="organisation_not_found")
    ctx.authorize("profile:manage", org.ref)
    if len(set(data.source_ids)) != len(data.source_ids):
        raise InvalidInput("数据源重复", fields={"source_ids": "重复"})
    spec = KINDS[Kind(data.kind)]
    sources = [get_source(ctx, source_id) for source_id in data.source_ids]
    for source in sources:  # the build reads each source's data inside the platform
        ctx.authorize("profile:manage", org_ref(ctx.session, source.organisation_id))
    started = time.perf_counter()
    batches = [
        _source_batch(ctx, source, priority, spec)
        for priority, source in enumerate(sources, start=1)
    ]
    result = link(batches, spec, LinkOptions(threshold=data.threshold))
    state = store.load_state(ctx.session, ctx.services.keystore, spec.kind, org.id)
    assignment = assign_profile_ids(result.records, state)
    candidates = golden_records(result.records, assignment.profile_ids, spec, candidates=True)
    run = ProfileRun(
        id=new_id(),
        kind=spec.kind.value,
        organisation_id=org.id,
        source_ids=list(data.source_ids),
        requested_by=ctx.actor.name,
    )
    ctx.session.add(run)
    store.save_build(
        ctx.session,
        ctx.services.keystore,
        kind=spec.kind.value,
        organisation_id=org.id,
        run_id=run.id,
        records=result.records,
        assignment=assignment,
        candidates=candidates,
    )
    methods = result.records.column("method").to_pylist()
    out = ProfileBuildOut(
        run_id=run.id,
        kind=spec.kind.value,
        records=result.records.num_rows,
        keyless=result.records.column("key").null_count,
        linked_probabilistically=methods.count("probabilistic"),
        profiles=result.clusters,
        created=len(assignment.created),
        kept=assignment.kept,
        merged=assignment.merged,
    )
    run.stats = out.model_dump() | {"seconds": round(time.perf_counter() - started, 3)}
    record_event(
        ctx,
        ProfilesBuilt(
            subject_id=run.id,
            organisation_id=org.id,
            kind=spec.kind.value,
            source_ids=list(data.source_ids),
            records=out.records,
            profiles=out.profiles,
            created=out.created,
            merged=len(out.merged),
        ),
    )
    ctx.session.flush()
    return out


READ = "profile:read"
SOURCE_READ = "aggregation:data:read"


def _authorize_somewhere_to_read(ctx: Context) -> None:
    """Before looking profiles up: the caller reads profiles somewhere, or reads
    source data somewhere (in scope or through access grants)."""
    if ctx.policy.holds_anywhere(ctx.actor, READ):
        ctx.authorize_somewhere(READ)
    else:
        authorize_somewhere_to_read(ctx, SOURCE_READ)


def _resources(ctx: Context, source_ids: Sequence[str]) -> list[GradedResource]:
    sources = ctx.session.scalars(
        select(Source).where(Source.id.in_(sorted(set(source_ids)))).order_by(Source.id)
    ).all()
    return [source_resource(ctx.session, source) for source in sources]


def _named(resource: GradedResource, grants: Sequence[AccessGrant]) -> bool:
    return any(
        grant.resource_id == resource.resource_id and grant.holder_id == resource.holder.id
        for grant in grants
    )


def _may_read(
    ctx: Context, org: OrgRef, resources: Sequence[GradedResource], grants: Sequence[AccessGrant]
) -> bool:
    """Whether :func:`_authorize_profile` would pass (for filtering search hits)."""
    if ctx.can(READ, org):
        return True
    return bool(resources) and all(
        ctx.can(SOURCE_READ, r.holder) or (_named(r, grants) and ctx.can(GRANT_PERMISSION))
        for r in resources
    )


def _authorize_profile(
    ctx: Context, org: OrgRef, resources: Sequence[GradedResource], grants: Sequence[AccessGrant]
) -> None:
    """``profile:read`` over the profile's organisation; or else the right to read
    the data of every contributing source (its holder's officer, or a grant naming
    it), since a profile shows nothing its sources do not hold."""
    if ctx.can(READ, org) or not resources:
        ctx.authorize(READ, org)
        return
    for resource in resources:
        authorize_holder(ctx, SOURCE_READ, resource, grants)


def _decision(ctx: Context, profile: Profile, source_ids: Sequence[str]) -> Decision:
    resources = _resources(ctx, source_ids)
    grants = actor_grants(ctx)
    _authorize_profile(ctx, org_ref(ctx.session, profile.organisation_id), resources, grants)
    return require_grade(ctx, resources, ReadKind.VALUES, grants)


def _masked(table: pa.Table, kind: Kind, decision: Decision) -> MaskedPage:
    present: dict[str, SensitiveKind | None] = {
        name: None for name in SENSITIVE[kind] if name in table.column_names
    }
    return mask_page(table, present, decision)


@actions.register(
    "profile_get",
    ProfileRef,
    example={"id": "<profile id>"},
    summary="A profile's golden record with the source of every attribute, every candidate "
    "value and the linked records; a merged profile's ID redirects to the survivor. Recorded.",
)
def profile_get(ctx: Context, data: ProfileRef) -> ProfileOut:
    _authorize_somewhere_to_read(ctx)
    profile_id = store.resolve_alias(ctx.session, data.id)
    profile = ctx.session.get(Profile, profile_id)
    if profile is None:
        raise NotFound("档案不存在", code="profile_not_found", fields={"id": data.id})
    records = ctx.session.scalars(
        select(ProfileRecord)
        .where(ProfileRecord.profile_id == profile.id)
        .order_by(ProfileRecord.source_id, ProfileRecord.id)
    ).all()
    attributes = ctx.session.scalars(
        select(ProfileAttribute)
        .where(ProfileAttribute.profile_id == profile.id)
        .order_by(ProfileAttribute.attribute, ProfileAttribute.chosen.desc())
    ).all()
    decision = _decision(ctx, profile, [record.source_id for record in records])
    kind = Kind(profile.kind)
    release = guard_read(
        ctx,
        ReadAttempt(
            action="profile_get",
            subject_id=profile.id,
            holder_id=profile.organisation_id,
            grade=decision.grade.value if decision.grade else None,
            rows=len(records),
        ),
    )
    keys = store.reading_keys(ctx.session, ctx.services.keystore, profile.kind)
    values = store.unseal([a.value for a in attributes], keys, store.ATTRIBUTES_TABLE, "value")
    candidate_keys = store.unseal(
        [a.record_key for a in attributes], keys, store.ATTRIBUTES_TABLE, "record_key"
    )
    record_keys = store.unseal(
        [r.record_key for r in records], keys, store.RECORDS_TABLE, "record_key"
    )
    # One column per attribute, one row per candidate: masked a column at a time.
    names = sorted({a.attribute for a in attributes})
    wide = pa.table(
        {
            **{
                name: pa.array(
                    [
                        v if a.attribute == name else None
                        for a, v in zip(attributes, values, strict=True)
                    ],
                    pa.string(),
                )
                for name in names
            },
            "record_key": pa.array(candidate_keys, pa.string()),
        }
    )
    page = _masked(wide, kind, decision)
    shown = page.table.to_pylist()
    keys_page = _masked(
        pa.table({"record_key": pa.array(record_keys, pa.string())}), kind, decision
    )
    source_names = {
        row.id: row.name
        for row in ctx.session.execute(
            select(Source.id, Source.name).where(
                Source.id.in_(sorted({r.source_id for r in records}))
            )
        )
    }
    candidates = [
        AttributeValue(
            attribute=a.attribute,
            value=row[a.attribute],
            source_id=a.source_id,
            source_name=source_names.get(a.source_id, a.source_id),
            source_version=a.source_version,
            record_key=row["record_key"],
            updated_at=a.updated_at,
            chosen=a.chosen,
            support=a.support,
        )
        for a, row in zip(attributes, shown, strict=True)
    ]
    linked = [
        LinkedRecord(
            source_id=r.source_id,
            source_name=source_names.get(r.source_id, r.source_id),
            source_version=r.source_version,
            record_key=shown_key,
            method=r.method,
            match_probability=r.match_probability,
        )
        for r, shown_key in zip(
            records, keys_page.table.column("record_key").to_pylist(), strict=True
        )
    ]
    record_read(
        ctx,
        decision,
        release=release,
        page=page,
        subject_id=profile.id,
        source_id=None,
        library_id=None,
        mode="profile",
        version=None,
        where={},
        rows=len(records),
        purpose="profile",
    )
    return ProfileOut(
        id=profile.id,
        kind=profile.kind,
        organisation_id=profile.organisation_id,
        requested_id=data.id,
        golden={c.attribute: c for c in candidates if c.chosen},
        candidates=candidates,
        records=linked,
        audience=page.audience.value,
        masked=page.masked,
    )


@actions.register(
    "profile_search",
    ProfileSearch,
    example={"kind": "person", "id_number": "150102199001011234"},
    summary="Profiles by identity number, credit code or exact name (matched on ciphertexts). "
    "Recorded.",
)
def profile_search(ctx: Context, data: ProfileSearch) -> ProfileHits:
    _authorize_somewhere_to_read(ctx)
    criteria = {
        name: value
        for name, value in (
            ("id_number", data.id_number.upper() if data.id_number else None),
            ("credit_code", data.credit_code.upper() if data.credit_code else None),
            ("name", data.name),
        )
        if value
    }
    try:
        keys = store.reading_keys(ctx.session, ctx.services.keystore, data.kind)
    except DataKeyMissing:  # nothing built yet
        keys = None
    found: set[str] | None = None
    for attribute, value in criteria.items():
        sealed = store.sealed_literals(keys, value, store.ATTRIBUTES_TABLE, "value") if keys else []
        ids = set(
            ctx.session.scalars(
                select(ProfileAttribute.profile_id).where(
                    ProfileAttribute.kind == data.kind,
                    ProfileAttribute.attribute == attribute,
                    ProfileAttribute.value.in_(sealed),
                )
            )
        )
        found = ids if found is None else found & ids
    query = select(Profile).where(
        Profile.id.in_(sorted(found or set())), Profile.status == "active"
    )
    if data.organisation_id:
        query = query.where(Profile.organisation_id == data.organisation_id)
    profiles = ctx.session.scalars(query.order_by(Profile.id).limit(data.limit)).all()
    grants = actor_grants(ctx)
    contributing: dict[str, list[str]] = {}
    for profile_id, source_id in ctx.session.execute(
        select(ProfileRecord.profile_id, ProfileRecord.source_id)
        .where(ProfileRecord.profile_id.in_([p.id for p in profiles]))
        .distinct()
    ):
        contributing.setdefault(profile_id, []).append(source_id)
    visible = [
        p
        for p in profiles
        if _may_read(
            ctx,
            org_ref(ctx.session, p.organisation_id),
            _resources(ctx, contributing.get(p.id, [])),
            grants,
        )
    ]
    resources = _resources(ctx, [s for p in visible for s in contributing.get(p.id, [])])
    decision = require_grade(ctx, resources, ReadKind.VALUES, grants) if resources else None
    recorded = recorded_where(ctx, criteria, {"id_number", "name", "credit_code"})
    release = guard_read(
        ctx,
        ReadAttempt(
            action="profile_search",
            subject_id=f"profiles:{data.kind}",
            holder_id=None,
            grade=decision.grade.value if decision and decision.grade else None,
            rows=len(visible),
            where=recorded,
        ),
    )
    names: list[str | None] = []
    counts: list[int] = []
    for profile in visible:
        chosen = ctx.session.scalar(
            select(ProfileAttribute.value).where(
                ProfileAttribute.profile_id == profile.id,
                ProfileAttribute.attribute == "name",
                ProfileAttribute.chosen.is_(True),
            )
        )
        names.append(
            store.unseal([chosen], keys, store.ATTRIBUTES_TABLE, "value")[0]
            if chosen is not None and keys is not None
            else None
        )
        counts.append(
            ctx.session.scalar(select(func.count()).where(ProfileRecord.profile_id == profile.id))
            or 0
        )
    if decision is None:
        return ProfileHits(hits=[], audience="none", masked={})
    page = _masked(pa.table({"name": pa.array(names, pa.string())}), Kind(data.kind), decision)
    record_read(
        ctx,
        decision,
        release=release,
        page=page,
        subject_id=f"profiles:{data.kind}",
        source_id=None,
        library_id=None,
        mode="profile-search",
        version=None,
        where=recorded,
        rows=len(visible),
        purpose="profile-search",
    )
    shown = page.table.column("name").to_pylist()
    return ProfileHits(
        hits=[
            ProfileHit(
                id=p.id, kind=p.kind, organisation_id=p.organisation_id, name=name, records=count
            )
            for p, name, count in zip(visible, shown, counts, strict=True)
        ],
        audience=page.audience.value,
        masked=page.masked,
    )
