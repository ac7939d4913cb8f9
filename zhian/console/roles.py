"""Who may do what in the console: roles, permissions and the reason a request is refused (pure)."""

from __future__ import annotations

ROLES = ("desk", "installer", "police", "admin")

# permission -> roles holding it; admin holds every permission
PERMISSIONS: dict[str, frozenset[str]] = {
    "alerts.read": frozenset({"desk", "police", "admin"}),
    "alerts.act": frozenset({"desk", "admin"}),  # acknowledge, clear, note, assign, false positive
    "events.read": frozenset({"desk", "installer", "police", "admin"}),
    "evidence.read": frozenset({"desk", "police", "admin"}),
    "devices.read": frozenset({"desk", "installer", "admin"}),
    "timeline.query": frozenset({"police", "admin"}),
    "timeline.export": frozenset({"police", "admin"}),
    "audit.read": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),  # add, reset a password, remove
}

ROLE_ZH = {"desk": "监控值班", "installer": "安装调试", "police": "社区民警", "admin": "管理员"}


def allowed(role: str, permission: str) -> bool:
    """True when `role` holds `permission`; an unknown permission is refused to everyone."""
    holders = PERMISSIONS.get(permission)
    return holders is not None and role in holders


def refusal(role: str, permission: str) -> str:
    """Why a role is refused a permission, naming the roles that hold it."""
    holders = sorted(PERMISSIONS.get(permission, ()))
    return f"role {role!r} may not {permission}; it needs one of: {', '.join(holders) or 'nobody'}"


def permissions_of(role: str) -> list[str]:
    """Every permission a role holds (the page shows only what it may use)."""
    return sorted(p for p, holders in PERMISSIONS.items() if role in holders)
