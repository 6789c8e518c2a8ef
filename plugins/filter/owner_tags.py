# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""owner_tags: the tags that mark a resource as one role's, from the run's tags."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# The shared tags (group_vars/all liftoff_tags) that say which project and environment a resource is of.
OWNER_KEYS = ("Project", "Environment", "ManagedBy")


def owner_tags(tags, role):
    """The Project, Environment and ManagedBy tags of ``tags``, plus ``LiftoffRole: <role>``."""
    if not isinstance(tags, dict):
        raise AnsibleFilterError(f"owner_tags: the tags must be a dict, not {type(tags).__name__}")
    if not role or not isinstance(role, str):
        raise AnsibleFilterError("owner_tags: name the role the resources are of")
    picked = {str(k): str(v) for k, v in tags.items() if k in OWNER_KEYS}
    picked["LiftoffRole"] = role
    return picked


class FilterModule:
    def filters(self):
        return {"owner_tags": owner_tags}
