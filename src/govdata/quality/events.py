"""Events of the quality area."""

from typing import ClassVar

from govdata.events import DomainEvent


class RulesChanged(DomainEvent):
    """A resource's rule set was declared or revised (subject: the rule set)."""

    name: ClassVar[str] = "quality:rules:changed"
    source_id: str | None
    library_id: str | None
    number: int
    rules: int


class QualityRunFinished(DomainEvent):
    """A quality check finished (subject: the run), with its score or its error."""

    name: ClassVar[str] = "quality:run:finished"
    source_id: str | None
    library_id: str | None
    status: str
    version: int | None
    score: float | None
    error_code: str | None
