"""The review of a proposed base: draft → submitted → approved | rejected (| withdrawn).

Who may move a proposal from one status to another, and who may still edit it, in one place
(no Flask here: the web asks, the store records). A planner sees only the moves they may make,
in this order; approved and rejected proposals are locked — planners can neither edit nor
delete them — until an admin reopens one, which is recorded like every change. Drafts are read
only by their planner and the admins.
"""
from __future__ import annotations

from geoapp.messages import N_

# in the order of the work; each is its own catalog word (草稿, 已提交, 已批准, 未批准, 已撤回)
STATUSES = (N_("draft"), N_("submitted"), N_("approved"), N_("rejected"), N_("withdrawn"))
LOCKED = ("approved", "rejected")
# (from, to) -> who may make the move: "owner" (the planner who made it) or "admin"
MOVES: dict[tuple[str, str], tuple[str, ...]] = {
    ("draft", "submitted"): ("owner", "admin"),
    ("draft", "withdrawn"): ("owner", "admin"),
    ("submitted", "draft"): ("owner", "admin"),        # taken back to work on
    ("submitted", "approved"): ("admin",),
    ("submitted", "rejected"): ("admin",),
    ("submitted", "withdrawn"): ("owner", "admin"),
    ("withdrawn", "draft"): ("owner", "admin"),
    ("approved", "draft"): ("admin",),                 # reopened
    ("rejected", "draft"): ("admin",),
}


def _roles(role: str, is_owner: bool) -> set[str]:
    return {role} | ({"owner"} if is_owner else set())


def moves_from(status: str, role: str, is_owner: bool) -> list[str]:
    """The statuses this person may move a proposal in `status` to, in workflow order."""
    mine = _roles(role, is_owner)
    return [to for to in STATUSES if (status, to) in MOVES and mine & set(MOVES[(status, to)])]


def may_move(status: str, to: str, role: str, is_owner: bool) -> bool:
    return to in moves_from(status, role, is_owner)


def may_edit(status: str, role: str, is_owner: bool) -> bool:
    """Name, notes, industry and site may change while the proposal is not locked, by its owner
    or an admin."""
    return status not in LOCKED and (is_owner or role == "admin")


def may_delete(status: str, role: str, is_owner: bool) -> bool:
    return role == "admin" or (is_owner and status not in LOCKED)


def may_read(status: str, role: str, is_owner: bool) -> bool:
    """A draft is its planner's own work: only they and the admins see it (its name, site and
    notes); from submitted on, every planner of the office sees it."""
    return status != "draft" or is_owner or role == "admin"
