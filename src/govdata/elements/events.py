"""Events of the data elements area."""

from typing import ClassVar

from govdata.events import DomainEvent


class ElementDefined(DomainEvent):
    name: ClassVar[str] = "elements:element:defined"
    code: str
    created: bool
