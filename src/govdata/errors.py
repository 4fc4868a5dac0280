"""One error hierarchy for everything a user can cause.

Every error has an HTTP status, a stable snake_case ``code`` that clients may
rely on, a Chinese message for people and optional per-field details. The web
layer renders them as JSON under ``/api/v1`` and as an HTML page in the portal.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GovdataError(Exception):
    """Base of every error a caller can cause."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "error"
    default_message: ClassVar[str] = "请求无法处理"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.http_status = status or self.status
        self.error_code = code or self.code
        self.fields = dict(fields or {})
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.error_code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class InvalidInput(GovdataError):
    status = 422
    code = "invalid_input"
    default_message = "输入不符合要求"


class Unauthenticated(GovdataError):
    status = 401
    code = "unauthenticated"
    default_message = "请先登录或提供有效的签名凭据"


class Forbidden(GovdataError):
    status = 403
    code = "forbidden"
    default_message = "无权执行此操作"


class OperationBlocked(GovdataError):
    """A high-risk operation stopped by a behaviour rule until an auditor reviews it
    (X6). 403 like any refusal; the stable code tells clients it is a block, and
    ``fields["alert"]`` carries the alert number to quote (see docs/audit.md)."""

    status = 403
    code = "operation_blocked"
    default_message = "该操作触发异常行为规则，已被拦截，待审计人员复核"


class NotFound(GovdataError):
    status = 404
    code = "not_found"
    default_message = "未找到请求的对象"


class Conflict(GovdataError):
    status = 409
    code = "conflict"
    default_message = "与现有数据冲突"


class MethodNotAllowed(GovdataError):
    status = 405
    code = "method_not_allowed"
    default_message = "不支持该请求方法"


class UnsupportedMediaType(GovdataError):
    status = 415
    code = "unsupported_media_type"
    default_message = "不支持的请求体格式"


class PayloadTooLarge(GovdataError):
    status = 413
    code = "payload_too_large"
    default_message = "请求体过大"


class RateLimited(GovdataError):
    status = 429
    code = "rate_limited"
    default_message = "请求过于频繁，请稍后再试"


class StorageBusy(GovdataError):
    status = 503
    code = "storage_busy"
    default_message = "系统繁忙，请稍后重试"


class PeerUnavailable(GovdataError):
    status = 503
    code = "peer_unavailable"
    default_message = "上级或对端节点暂时不可用"


class InternalError(GovdataError):
    """Rendered for unexpected exceptions: says nothing about the cause."""

    status = 500
    code = "internal_error"
    default_message = "服务器内部错误，请联系平台管理员"


class SourceFailed(GovdataError):
    """A data source could not be read (unreachable, malformed, wrong encoding...).

    Raised by the aggregation readers with a specific ``code`` (``source_*``);
    the run that hit it fails with that code and message, and the table keeps
    its previous version.
    """

    status = 422
    code = "source_failed"
    default_message = "数据源读取失败"
