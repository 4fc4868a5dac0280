"""All elements a node knows: the national ones and its own, and matching names to them."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.aggregation.columns import Check
from govdata.elements.models import NodeElement
from govdata.elements.standard import NATIONAL, Element


def node_elements(session: Session) -> list[Element]:
    rows = session.scalars(select(NodeElement).order_by(NodeElement.code))
    return [
        Element(
            code=row.code,
            name=row.name,
            identifier=row.identifier,
            data_type=row.data_type,
            length=row.length,
            standard=row.standard,
            aliases=tuple(row.aliases),
            check=Check(row.check) if row.check else None,
            codes=dict(row.codes),
            description=row.description,
            origin="node",
        )
        for row in rows
    ]


def all_elements(session: Session) -> list[Element]:
    return [*NATIONAL, *node_elements(session)]


def normalised(text: str) -> str:
    """For matching names: full-width to half-width, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


class Matcher:
    """Finds the element a column or information item stands for."""

    def __init__(self, elements: list[Element]) -> None:
        self._by_identifier = {element.identifier: element for element in elements}
        self._by_name: dict[str, Element] = {}
        for element in elements:
            for name in (element.name, *element.aliases):
                self._by_name.setdefault(normalised(name), element)

    def by_identifier(self, identifier: str) -> Element | None:
        return self._by_identifier.get(identifier)

    def by_name(self, name: str) -> Element | None:
        return self._by_name.get(normalised(name))

    def match(self, identifier: str | None, name: str | None) -> Element | None:
        found = self.by_identifier(identifier) if identifier else None
        if found is None and name:
            found = self.by_name(name)
        return found
