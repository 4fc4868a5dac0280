"""The base of every action input model."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

# C0 controls other than tab, line feed and carriage return, and DEL. PostgreSQL
# refuses NUL in text, and none of them belongs in a name, code or password.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class StrictInput(BaseModel):
    """Unknown fields are refused, text is trimmed, control characters are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and _CONTROL_CHARACTERS.search(text):
            raise ValueError("不能包含控制字符")
        return value
