"""Events of the objections area: every step is ledgered, so who answered, late or in
time, and who was found responsible can always be shown (可反馈、可追溯、可定责)."""

from typing import ClassVar

from govdata.events import DomainEvent


class ObjectionStepTaken(DomainEvent):
    """Base of the step events: the objection, its source and the two parties."""

    source_id: str
    version: int
    holder_id: str
    reporter_org_id: str
    status: str


class ObjectionFiled(ObjectionStepTaken):
    name: ClassVar[str] = "objections:objection:filed"
    field: str
    due_on: str


class ObjectionAnswered(ObjectionStepTaken):
    name: ClassVar[str] = "objections:objection:answered"
    answer_kind: str
    fix_version: int | None
    on_time: bool


class ObjectionAccepted(ObjectionStepTaken):
    name: ClassVar[str] = "objections:objection:accepted"


class ObjectionDisputed(ObjectionStepTaken):
    name: ClassVar[str] = "objections:objection:disputed"


class ObjectionEscalated(ObjectionStepTaken):
    name: ClassVar[str] = "objections:objection:escalated"
    overdue: bool


class ObjectionResolved(ObjectionStepTaken):
    name: ClassVar[str] = "objections:objection:resolved"
    responsible: str
