"""Portal pages of profiles (一人一档、一企一档): search, and one profile with the
source of every golden attribute, the other candidate values and the linked records.

Both pages only read: the actions decide by permission and grade, mask by the
reader's audience and record the read. A refusal on the search page is shown
beside the form; on the profile page it is the usual error page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.errors import GovdataError
from govdata.portal.common import current_caller, login_redirect, page_chrome, run_action
from govdata.portal.rendering import render
from govdata.profiles.labels import (
    KIND_LABELS,
    MASKING_LABELS,
    attribute_label,
    method_label,
)
from govdata.profiles.schemas import AttributeValue, ProfileHits, ProfileOut

router = APIRouter(include_in_schema=False)

CRITERIA = (
    ("id_number", "公民身份号码"),
    ("credit_code", "统一社会信用代码"),
    ("name", "姓名或名称"),
)


@router.get("/profiles")
async def profiles_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    params = request.query_params
    values = {name: params.get(name, "").strip() for name, _ in CRITERIA}
    kind = "enterprise" if params.get("kind") == "enterprise" or values["credit_code"] else "person"
    hits: ProfileHits | None = None
    problem: GovdataError | None = None
    if any(values.values()):
        data: dict[str, Any] = {"kind": kind, **{k: v for k, v in values.items() if v}}
        try:
            hits = await run_action(request, caller, "profile_search", data)
        except GovdataError as error:
            problem = error
    return render(
        "portal/profiles/search.html",
        {
            "page": page_chrome(request, caller, "一人一档、一企一档", "profiles"),
            "criteria": CRITERIA,
            "values": values,
            "kind": kind,
            "kind_labels": KIND_LABELS,
            "hits": hits,
            "problem": problem,
            "masking_labels": MASKING_LABELS,
        },
    )


def _others(profile: ProfileOut, attribute: str) -> list[AttributeValue]:
    return [c for c in profile.candidates if c.attribute == attribute and not c.chosen]


@router.get("/profiles/{profile_id}")
async def profile_page(request: Request, profile_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    profile: ProfileOut = await run_action(request, caller, "profile_get", {"id": profile_id})
    golden = [
        {
            "label": attribute_label(profile.kind, attribute),
            "attribute": attribute,
            "chosen": chosen,
            "others": _others(profile, attribute),
        }
        for attribute, chosen in profile.golden.items()
    ]
    masked = [
        (attribute_label(profile.kind, name), MASKING_LABELS.get(how, how))
        for name, how in profile.masked.items()
        if name != "record_key"
    ]
    return render(
        "portal/profiles/profile.html",
        {
            "page": page_chrome(request, caller, KIND_LABELS.get(profile.kind, "档案"), "profiles"),
            "profile": profile,
            "golden": golden,
            "masked": masked,
            "record_keys_masked": "record_key" in profile.masked,
            "method_label": method_label,
            "kind_label": KIND_LABELS.get(profile.kind, profile.kind),
        },
    )
