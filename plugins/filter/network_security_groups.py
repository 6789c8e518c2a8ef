# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network role's four security groups, chained by group reference, as items for network_drift.

  alb   <- alb_ports from alb_sources
  web   <- the shared firewall rules + SSH from the admin sources + app_port from the alb group
  cache <- cache_port from the web group
  db    <- db_ports from the web group

Rules are in amazon.aws.ec2_security_group's ``rules`` format; CIDR rules go through
firewall_rules_to_security_group (one entry per rule and family), port lists through network_port_rules.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.firewall_rules import firewall_rules_to_security_group
from ansible_collections.liftoff.aws.plugins.filter.network_drift import network_port_rules

TIERS = ("alb", "web", "cache", "db")
# Referring groups before the groups they refer to.
TEARDOWN_ORDER = ("db", "cache", "web", "alb")
DESCRIPTIONS = {"alb": "load balancer", "web": "web hosts", "cache": "cache", "db": "database"}
# What each tier reads from the settings.
NEEDS = {
    "alb": ("alb_ports", "alb_sources"),
    "web": ("firewall_rules", "ssh_port", "admin_sources", "app_port", "alb_id"),
    "cache": ("cache_port", "web_id"),
    "db": ("db_ports", "web_id"),
}


def _group_rule(port, group_id, description):
    return {"proto": "tcp", "from_port": int(port), "to_port": int(port), "group_id": group_id,
            "rule_desc": description}


def _rules(tier, settings):
    if tier == "alb":
        rules = network_port_rules(settings["alb_ports"], {"name": "alb-{port}", "port": None,
                                                           "sources": settings["alb_sources"],
                                                           "comment": "load balancer port {port}"})
        return firewall_rules_to_security_group(rules, "network_alb_sources")
    if tier == "web":
        ssh = [{"name": "ssh-admin", "port": settings["ssh_port"], "sources": settings["admin_sources"],
                "comment": "SSH from admins"}]
        return (firewall_rules_to_security_group(settings["firewall_rules"], "network_firewall_rules (liftoff_firewall_rules)")
                + firewall_rules_to_security_group(ssh, "network_admin_sources")
                + [_group_rule(settings["app_port"], settings["alb_id"], "app port from the load balancer")])
    if tier == "cache":
        return [_group_rule(settings["cache_port"], settings["web_id"], "cache port from the web hosts")]
    return network_port_rules(settings["db_ports"], {"proto": "tcp", "from_port": None, "to_port": None,
                                                     "group_id": settings["web_id"],
                                                     "rule_desc": "database port from the web hosts"})


def network_security_group_plan(settings, tiers, name_prefix, tags=None):
    """One item per tier, in the order asked: key, name, description, tags (with Name and Tier), rules."""
    if isinstance(tiers, str):
        tiers = [tiers]
    settings = settings or {}
    plan = []
    for tier in tiers or []:
        if tier not in NEEDS:
            raise AnsibleFilterError("network_security_group_plan: tier must be one of %s, got %r" % (", ".join(TIERS), tier))
        missing = [key for key in NEEDS[tier] if key not in settings]
        if missing:
            raise AnsibleFilterError("network_security_group_plan: the %s group needs %s" % (tier, ", ".join(missing)))
        name = "%s-%s" % (name_prefix, tier)
        plan.append({"key": tier, "name": name, "description": "%s %s" % (name_prefix, DESCRIPTIONS[tier]),
                     "tags": dict(tags or {}, Name=name, Tier=tier), "rules": _rules(tier, settings)})
    return plan


def network_teardown_security_groups(groups):
    """The VPC's groups in the order they can be deleted: db, cache, web, alb (by their Tier tag), then the rest.

    A group cannot be deleted while another group's rule refers to it: db and cache refer to web, web to alb.
    The VPC's ``default`` group is left out (it goes with the VPC). Within a tier, and among the groups with
    another or no Tier tag, the given order is kept.
    """
    groups = [group for group in groups or [] if group.get("group_name") != "default"]
    ordered = []
    for tier in TEARDOWN_ORDER:
        ordered.extend(group for group in groups if (group.get("tags") or {}).get("Tier") == tier)
    ordered_ids = [group.get("group_id") for group in ordered]
    return ordered + [group for group in groups if group.get("group_id") not in ordered_ids]


class FilterModule(object):
    def filters(self):
        return {
            "network_security_group_plan": network_security_group_plan,
            "network_teardown_security_groups": network_teardown_security_groups,
        }
