"""Events of the profiles area."""

from __future__ import annotations

from typing import ClassVar

from govdata.events import DomainEvent


class ProfilesBuilt(DomainEvent):
    """A build linked the records of ``source_ids`` into profiles (``subject_id``: the run)."""

    name: ClassVar[str] = "profiles:build:finished"
    organisation_id: str
    kind: str
    source_ids: list[str]
    records: int
    profiles: int
    created: int
    merged: int
