"""Events of the accounts area."""

from typing import ClassVar

from govdata.events import DomainEvent


class UserCreated(DomainEvent):
    name: ClassVar[str] = "accounts:user:created"
    username: str
    organisation_id: str


class RoleGranted(DomainEvent):
    name: ClassVar[str] = "accounts:role:granted"
    role: str
    organisation_id: str
    include_subtree: bool
    user_id: str | None
    application_id: str | None


class RoleRevoked(DomainEvent):
    name: ClassVar[str] = "accounts:role:revoked"
    role: str
    organisation_id: str


class LoginSucceeded(DomainEvent):
    name: ClassVar[str] = "accounts:session:created"
    username: str


class LoginFailed(DomainEvent):
    name: ClassVar[str] = "accounts:session:refused"
    username: str
    reason: str


class UserActivityChanged(DomainEvent):
    name: ClassVar[str] = "accounts:user:activity_changed"
    active: bool


class ApplicationActivityChanged(DomainEvent):
    name: ClassVar[str] = "accounts:application:activity_changed"
    active: bool


class PasswordChanged(DomainEvent):
    name: ClassVar[str] = "accounts:password:changed"


class ApplicationRegistered(DomainEvent):
    name: ClassVar[str] = "accounts:application:created"
    app_name: str
    organisation_id: str


class ApiKeyIssuedEvent(DomainEvent):
    name: ClassVar[str] = "accounts:api_key:created"
    application_id: str


class ApiKeyRevokedEvent(DomainEvent):
    name: ClassVar[str] = "accounts:api_key:revoked"
    application_id: str
