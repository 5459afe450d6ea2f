"""The six roles of issue 13, their Chinese labels, and which of them may write.

A new role: add it to `ROLES` with its label, say whether it writes, what scope it takes
(`users.check_role_scope`), and which routes it may use (`access.policy.SCOPE`).
"""

from __future__ import annotations

__all__ = ["LABELS_EN", "LABELS_ZH", "ROLES", "WRITE_ROLES", "role_label"]

ROLES = ("admin", "bureau", "district", "officer", "enterprise", "readonly")

LABELS_ZH = {"admin": "管理员", "bureau": "局机关", "district": "区县分局",
             "officer": "执法人员", "enterprise": "企业", "readonly": "只读"}
LABELS_EN = {"admin": "Administrator", "bureau": "Bureau", "district": "District sub-bureau",
             "officer": "Enforcement officer", "enterprise": "Enterprise",
             "readonly": "Read-only"}

# Who may make the bureau's general changes (`Principal.can_write`: alarm close, exemptions,
# corrections). Which role may make which write, on what, is `access.policy.SCOPE` (the
# officer's supervision actions, the enterprise's own marks and answers among them).
WRITE_ROLES = frozenset({"admin", "bureau", "district"})

# Who manages users and reads the audit log.
ADMIN_ROLES = frozenset({"admin"})
AUDIT_ROLES = frozenset({"admin", "bureau"})


def role_label(role: str, lang: str = "zh") -> str:
    return (LABELS_ZH if lang == "zh" else LABELS_EN).get(role, role)
