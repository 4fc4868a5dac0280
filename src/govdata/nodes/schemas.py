"""Shapes of the nodes area."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NodeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    base_url: str | None
    key_algorithm: str
    public_key_pem: str
    key_fingerprint: str
