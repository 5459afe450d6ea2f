"""The six roles of issue 13, their Chinese labels, and which of them may write.

A new role: add it to `ROLES` with its label, say whether it writes, and what scope it takes
(`users.check_role_scope`).
"""

from __future__ import annotations

__all__ = ["LABELS_EN", "LABELS_ZH", "ROLES", "WRITE_ROLES", "role_label"]

ROLES = ("admin", "bureau", "district", "officer", "enterprise", "readonly")

LABELS_ZH = {"admin": "管理员", "bureau": "局机关", "district": "区县分局",
             "officer": "执法人员", "enterprise": "企业", "readonly": "只读"}
LABELS_EN = {"admin": "Administrator", "bureau": "Bureau", "district": "District sub-bureau",
             "officer": "Enforcement officer", "enterprise": "Enterprise",
             "readonly": "Read-only"}

# Who may change today's records (alarm acknowledge/close, exemptions, corrections). The
# officer's supervision and the enterprise's own marks come with their features (issue 13).
WRITE_ROLES = frozenset({"admin", "bureau", "district"})

# Who manages users and reads the audit log.
ADMIN_ROLES = frozenset({"admin"})
AUDIT_ROLES = frozenset({"admin", "bureau"})


def role_label(role: str, lang: str = "zh") -> str:
    return (LABELS_ZH if lang == "zh" else LABELS_EN).get(role, role)
