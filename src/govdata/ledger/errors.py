"""The ledger's errors, each with a stable code (see ``govdata.errors``)."""

from __future__ import annotations

from govdata.errors import Conflict, GovdataError, InvalidInput, NotFound


class LedgerEntryInvalid(InvalidInput):
    code = "ledger_entry_invalid"
    default_message = "账本条目不符合要求"


class LedgerProofInvalid(GovdataError):
    """A proof, checkpoint or export does not verify."""

    status = 422
    code = "ledger_proof_invalid"
    default_message = "账本证明校验未通过"


class LedgerTampered(GovdataError):
    """The stored ledger contradicts itself: rows changed, missing or added behind its back."""

    status = 500
    code = "ledger_tampered"
    default_message = "账本数据不完整或已被篡改"


class LedgerEntryNotFound(NotFound):
    code = "ledger_entry_not_found"
    default_message = "账本中没有该序号的条目"


class LedgerSizeInvalid(InvalidInput):
    code = "ledger_size_invalid"
    default_message = "账本规模参数无效"


class LedgerNoCheckpoint(Conflict):
    code = "ledger_no_checkpoint"
    default_message = "账本尚无签名检查点"


class LedgerDocumentInvalid(InvalidInput):
    """An export, proof or checkpoint file is not in the documented format."""

    code = "ledger_document_invalid"
    default_message = "账本文件格式不正确"
