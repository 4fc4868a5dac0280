"""Shapes of the nodes area."""

from __future__ import annotations

from pydantic import BaseModel

from govdata.schemas import StrictInput


class NodeQuery(StrictInput):
    pass


class NodeOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    base_url: str | None
    key_algorithm: str
    public_key_pem: str
    key_fingerprint: str
