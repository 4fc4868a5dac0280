"""Input and output shapes of the accounts area."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, SecretStr, model_validator

from govdata.authz import Role
from govdata.schemas import StrictInput

USERNAME_PATTERN = r"^[a-z][a-z0-9_.\-]{2,63}$"


class RoleSpec(StrictInput):
    role: Role
    organisation_id: str = Field(min_length=1, max_length=36)
    include_subtree: bool = False


class UserCreate(StrictInput):
    username: str = Field(pattern=USERNAME_PATTERN, description="Lowercase login name")
    display_name: str = Field(min_length=1, max_length=100)
    organisation_id: str = Field(min_length=1, max_length=36)
    password: SecretStr
    roles: list[RoleSpec] = Field(default_factory=list)


class UserId(StrictInput):
    id: str = Field(min_length=1, max_length=36)


class ActiveState(StrictInput):
    id: str = Field(min_length=1, max_length=36)
    active: bool


class UserQuery(StrictInput):
    organisation_id: str | None = None


class RoleAssignmentOut(BaseModel):
    id: str
    role: Role
    role_label: str
    organisation_id: str
    organisation_name: str
    include_subtree: bool


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    organisation_id: str
    organisation_name: str
    is_active: bool
    roles: list[RoleAssignmentOut]
    created_at: datetime


class RoleGrantInput(StrictInput):
    user_id: str | None = Field(default=None, max_length=36)
    application_id: str | None = Field(default=None, max_length=36)
    role: Role
    organisation_id: str = Field(min_length=1, max_length=36)
    include_subtree: bool = False

    @model_validator(mode="after")
    def _one_grantee(self) -> RoleGrantInput:
        if (self.user_id is None) == (self.application_id is None):
            raise ValueError("须且只能指定 user_id 或 application_id 之一")
        return self


class AssignmentId(StrictInput):
    id: str = Field(min_length=1, max_length=36)


class LoginInput(StrictInput):
    username: str = Field(min_length=1, max_length=64)
    password: SecretStr


class LoginResult(BaseModel):
    token: str
    csrf_token: str
    expires_at: datetime
    user: UserOut


class LogoutInput(StrictInput):
    token: str = Field(min_length=1, max_length=200)


class PasswordChange(StrictInput):
    current_password: SecretStr
    new_password: SecretStr


class ApplicationCreate(StrictInput):
    name: str = Field(min_length=2, max_length=100)
    organisation_id: str = Field(min_length=1, max_length=36)
    description: str = Field(default="", max_length=500)


class ApplicationQuery(StrictInput):
    organisation_id: str | None = None


class ApplicationId(StrictInput):
    id: str = Field(min_length=1, max_length=36)


class ApiKeyOut(BaseModel):
    key_id: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApplicationOut(BaseModel):
    id: str
    name: str
    organisation_id: str
    organisation_name: str
    description: str
    is_active: bool
    keys: list[ApiKeyOut]
    roles: list[RoleAssignmentOut]
    created_at: datetime


class ApiKeyCreate(StrictInput):
    application_id: str = Field(min_length=1, max_length=36)
    valid_days: int | None = Field(default=365, ge=1, le=3650)


class ApiKeyIssued(BaseModel):
    key_id: str
    secret: str = Field(description="Shown once; store it in the calling system.")
    expires_at: datetime | None


class ApiKeyRevoke(StrictInput):
    key_id: str = Field(min_length=1, max_length=40)
