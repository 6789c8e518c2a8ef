"""liftoff.aws.owner_tags: the tags a role marks (and later recognises) its resources by."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.liftoff.aws.plugins.filter.owner_tags import owner_tags


def test_keeps_the_project_tags_and_names_the_role():
    tags = {"Project": "demo", "Environment": "prod", "ManagedBy": "liftoff", "Team": "web", "CostCenter": 7}
    assert owner_tags(tags, "codedeploy") == {"Project": "demo", "Environment": "prod", "ManagedBy": "liftoff",
                                              "LiftoffRole": "codedeploy"}


def test_a_role_tag_in_the_input_is_replaced_by_the_role_named():
    assert owner_tags({"Project": "demo", "LiftoffRole": "cdn"}, "dns") == {"Project": "demo", "LiftoffRole": "dns"}


@pytest.mark.parametrize("tags, role", [(["Project"], "dns"), ({"Project": "demo"}, "")])
def test_bad_input_is_refused(tags, role):
    with pytest.raises(AnsibleFilterError):
        owner_tags(tags, role)
