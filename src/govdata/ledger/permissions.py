"""Who may read the ledger.

The ledger is one Merkle log per node and is verified as a whole, so reading it
is not scoped to an organisation: auditors and authority reviewers read every
entry, with its proof. (Proofs and checkpoints hold only hashes; entry bodies
hold the facts of the events they record.)
"""

from govdata.authz import Role, permission

PERMISSIONS = (
    permission(
        "ledger:read",
        [Role.AUDITOR, Role.AUTHORITY_REVIEWER, Role.PLATFORM_ADMIN],
        "查看存证记录、检查点和证明",
        scoped=False,
    ),
)
