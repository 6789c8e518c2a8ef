"""liftoff.aws.network_security_group_plan: the network role's four groups and their ingress rules; and
liftoff.aws.network_teardown_security_groups: the order teardown deletes them in."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.liftoff.aws.plugins.filter.network_security_groups import (
    network_security_group_plan, network_teardown_security_groups)

PREFIX = "demo-sandbox"
TAGS = {"Project": "demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
RULES = [
    {"name": "https", "port": 443, "sources": ["0.0.0.0/0", "::/0"], "comment": "web tls"},
    {"name": "dns", "port": 53, "port_end": 54, "protocol": "udp", "sources": ["10.0.0.0/8"]},
]
SETTINGS = {"alb_ports": [80, 443], "alb_sources": ["0.0.0.0/0", "::/0"], "firewall_rules": RULES, "ssh_port": 2222,
            "admin_sources": ["203.0.113.7/32", "2001:db8:7::/48"], "app_port": 8080, "alb_id": "sg-alb",
            "cache_port": 6379, "db_ports": [5432, 6432], "web_id": "sg-web"}


def plan(*tiers, **overrides):
    return network_security_group_plan(dict(SETTINGS, **overrides), list(tiers), PREFIX, TAGS)


def test_each_tier_is_named_described_and_tagged():
    groups = plan("alb", "web", "cache", "db")
    assert [(g["key"], g["name"], g["description"]) for g in groups] == [
        ("alb", "demo-sandbox-alb", "demo-sandbox load balancer"),
        ("web", "demo-sandbox-web", "demo-sandbox web hosts"),
        ("cache", "demo-sandbox-cache", "demo-sandbox cache"),
        ("db", "demo-sandbox-db", "demo-sandbox database"),
    ]
    assert groups[2]["tags"] == dict(TAGS, Name="demo-sandbox-cache", Tier="cache")
    assert "Name" not in TAGS  # the caller's tags are not changed


def test_alb_one_rule_per_port_and_family():
    assert plan("alb")[0]["rules"] == [
        {"proto": "tcp", "from_port": 80, "to_port": 80, "rule_desc": "load balancer port 80", "cidr_ip": ["0.0.0.0/0"]},
        {"proto": "tcp", "from_port": 80, "to_port": 80, "rule_desc": "load balancer port 80", "cidr_ipv6": ["::/0"]},
        {"proto": "tcp", "from_port": 443, "to_port": 443, "rule_desc": "load balancer port 443", "cidr_ip": ["0.0.0.0/0"]},
        {"proto": "tcp", "from_port": 443, "to_port": 443, "rule_desc": "load balancer port 443", "cidr_ipv6": ["::/0"]},
    ]


def test_web_the_shared_rules_then_ssh_from_admins_then_the_app_port_from_the_alb_group():
    assert plan("web")[0]["rules"] == [
        {"proto": "tcp", "from_port": 443, "to_port": 443, "rule_desc": "web tls", "cidr_ip": ["0.0.0.0/0"]},
        {"proto": "tcp", "from_port": 443, "to_port": 443, "rule_desc": "web tls", "cidr_ipv6": ["::/0"]},
        {"proto": "udp", "from_port": 53, "to_port": 54, "rule_desc": "dns", "cidr_ip": ["10.0.0.0/8"]},
        {"proto": "tcp", "from_port": 2222, "to_port": 2222, "rule_desc": "SSH from admins", "cidr_ip": ["203.0.113.7/32"]},
        {"proto": "tcp", "from_port": 2222, "to_port": 2222, "rule_desc": "SSH from admins", "cidr_ipv6": ["2001:db8:7::/48"]},
        {"proto": "tcp", "from_port": 8080, "to_port": 8080, "group_id": "sg-alb", "rule_desc": "app port from the load balancer"},
    ]


def test_cache_and_db_from_the_web_group():
    cache, db = plan("cache", "db")
    assert cache["rules"] == [{"proto": "tcp", "from_port": 6379, "to_port": 6379, "group_id": "sg-web",
                               "rule_desc": "cache port from the web hosts"}]
    assert db["rules"] == [
        {"proto": "tcp", "from_port": port, "to_port": port, "group_id": "sg-web", "rule_desc": "database port from the web hosts"}
        for port in (5432, 6432)]


def test_ports_given_as_text_become_numbers():
    assert plan("web", ssh_port="22", app_port="8080")[0]["rules"][-1]["from_port"] == 8080
    assert plan("web", ssh_port="22")[0]["rules"][-2]["from_port"] == 22
    assert plan("cache", cache_port="6380")[0]["rules"][0]["to_port"] == 6380


def test_a_tier_reads_only_its_settings_and_a_tier_may_be_a_string():
    assert network_security_group_plan({"cache_port": 6379, "web_id": "sg-1"}, "cache", PREFIX)[0]["tags"] == {
        "Name": "demo-sandbox-cache", "Tier": "cache"}


@pytest.mark.parametrize("overrides, variable", [
    ({"alb_sources": ["0.0.0.0"]}, "network_alb_sources"),
    ({"admin_sources": ["203.0.113.7/24"]}, "network_admin_sources"),
    ({"firewall_rules": [{"name": "x", "port": 70000, "sources": ["0.0.0.0/0"]}]},
     r"network_firewall_rules \(liftoff_firewall_rules\)"),
])
def test_a_bad_rule_names_the_role_variable(overrides, variable):
    tiers = ["alb"] if "alb_sources" in overrides else ["web"]
    with pytest.raises(AnsibleFilterError, match=variable):
        plan(*tiers, **overrides)


def test_a_missing_setting_and_an_unknown_tier_are_refused():
    with pytest.raises(AnsibleFilterError, match="the web group needs alb_id"):
        network_security_group_plan({k: v for k, v in SETTINGS.items() if k != "alb_id"}, ["web"], PREFIX)
    with pytest.raises(AnsibleFilterError, match="tier must be one of alb, web, cache, db, got 'edge'"):
        plan("edge")


# What roles/network/tasks/security_groups.yml built in Jinja before this filter (without the
# network_drift step that follows): the filter must give exactly the same items.
JINJA = {
    "alb": """{{ [{'key': 'alb', 'name': network_name_prefix ~ '-alb', 'description': network_name_prefix ~ ' load balancer',
          'tags': network_tags | combine({'Name': network_name_prefix ~ '-alb', 'Tier': 'alb'}),
          'rules': network_alb_ports
                   | liftoff.aws.network_port_rules({'name': 'alb-{port}', 'port': none, 'sources': network_alb_sources,
                                                     'comment': 'load balancer port {port}'})
                   | liftoff.aws.firewall_rules_to_security_group('network_alb_sources')}] }}""",
    "web": """{{ [{'key': 'web', 'name': network_name_prefix ~ '-web', 'description': network_name_prefix ~ ' web hosts',
          'tags': network_tags | combine({'Name': network_name_prefix ~ '-web', 'Tier': 'web'}),
          'rules': network_firewall_rules | liftoff.aws.firewall_rules_to_security_group('network_firewall_rules (liftoff_firewall_rules)')
                   + ([{'name': 'ssh-admin', 'port': network_ssh_port, 'sources': network_admin_sources, 'comment': 'SSH from admins'}]
                      | liftoff.aws.firewall_rules_to_security_group('network_admin_sources'))
                   + [{'proto': 'tcp', 'from_port': network_app_port | int, 'to_port': network_app_port | int,
                       'group_id': __network_sg_alb_id, 'rule_desc': 'app port from the load balancer'}]}] }}""",
    "tail": """{{ [{'key': 'cache', 'name': network_name_prefix ~ '-cache', 'description': network_name_prefix ~ ' cache',
           'tags': network_tags | combine({'Name': network_name_prefix ~ '-cache', 'Tier': 'cache'}),
           'rules': [{'proto': 'tcp', 'from_port': network_cache_port | int, 'to_port': network_cache_port | int,
                      'group_id': __network_sg_web_id, 'rule_desc': 'cache port from the web hosts'}]},
          {'key': 'db', 'name': network_name_prefix ~ '-db', 'description': network_name_prefix ~ ' database',
           'tags': network_tags | combine({'Name': network_name_prefix ~ '-db', 'Tier': 'db'}),
           'rules': network_db_ports
                    | liftoff.aws.network_port_rules({'proto': 'tcp', 'from_port': none, 'to_port': none,
                                                      'group_id': __network_sg_web_id,
                                                      'rule_desc': 'database port from the web hosts'})}] }}""",
}


@pytest.mark.parametrize("ssh_port, app_port, cache_port", [(22, 8080, 6379), ("2222", "8000", "6380")])
def test_same_items_as_the_jinja_it_replaces(ssh_port, app_port, cache_port):
    settings = dict(SETTINGS, ssh_port=ssh_port, app_port=app_port, cache_port=cache_port)
    variables = {"network_name_prefix": PREFIX, "network_tags": TAGS, "network_alb_ports": settings["alb_ports"],
                 "network_alb_sources": settings["alb_sources"], "network_firewall_rules": RULES,
                 "network_ssh_port": ssh_port, "network_admin_sources": settings["admin_sources"],
                 "network_app_port": app_port, "__network_sg_alb_id": "sg-alb", "network_cache_port": cache_port,
                 "network_db_ports": settings["db_ports"], "__network_sg_web_id": "sg-web"}
    templar = Templar(loader=DataLoader(), variables=variables)
    for name, tiers in (("alb", ["alb"]), ("web", ["web"]), ("tail", ["cache", "db"])):
        assert network_security_group_plan(settings, tiers, PREFIX, TAGS) == templar.template(trust_as_template(JINJA[name])), name


def _group(group_id, name, tier=None, **extra):
    tags = {"Project": "demo"}
    if tier is not None:
        tags["Tier"] = tier
    return dict({"group_id": group_id, "group_name": name, "tags": tags}, **extra)


# As ec2_security_group_info lists them: by ID, not by tier.
GROUPS = [
    _group("sg-1", "demo-sandbox-web", "web"),
    _group("sg-2", "default"),
    _group("sg-3", "demo-sandbox-alb", "alb"),
    _group("sg-4", "someone-elses", "batch"),  # another Tier: after the four
    _group("sg-5", "demo-sandbox-db", "db"),
    _group("sg-6", "untagged-tier"),  # no Tier tag: after the four, in the given order
    _group("sg-7", "demo-sandbox-cache", "cache"),
    _group("sg-8", "demo-sandbox-db-2", "db"),
    {"group_id": "sg-9", "group_name": "no-tags-key"},
]


def test_teardown_security_groups_referring_groups_first_default_left_out():
    assert [g["group_id"] for g in network_teardown_security_groups(GROUPS)] == [
        "sg-5", "sg-8", "sg-7", "sg-1", "sg-3", "sg-4", "sg-6", "sg-9"]


@pytest.mark.parametrize("groups", [[], None, [_group("sg-2", "default")]])
def test_teardown_security_groups_of_a_vpc_with_none(groups):
    assert network_teardown_security_groups(groups) == []


def test_teardown_security_groups_keeps_the_items_whole():
    assert network_teardown_security_groups([GROUPS[0]]) == [GROUPS[0]]


# What roles/network/tasks/absent_vpc.yml looped over before network_teardown_security_groups.
JINJA_TEARDOWN = """\
{% set groups = __network_own_sgs.security_groups | rejectattr('group_name', 'eq', 'default') | list %}{% set ordered = []
%}{% for tier in ['db', 'cache', 'web', 'alb'] %}{% set _ = ordered.extend(groups | selectattr('tags.Tier', 'defined')
| selectattr('tags.Tier', 'eq', tier)) %}{% endfor %}{{ ordered
+ (groups | rejectattr('group_id', 'in', ordered | map(attribute='group_id') | list) | list) }}"""


@pytest.mark.parametrize("groups", [GROUPS, GROUPS[:8], list(reversed(GROUPS)), GROUPS[1:2], GROUPS[3:4], []])
def test_teardown_security_groups_same_as_the_jinja_it_replaces(groups):
    templar = Templar(loader=DataLoader(), variables={"__network_own_sgs": {"security_groups": groups}})
    assert network_teardown_security_groups(groups) == templar.template(trust_as_template(JINJA_TEARDOWN))
