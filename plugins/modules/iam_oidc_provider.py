#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_oidc_provider
short_description: An IAM OpenID Connect identity provider (GitHub Actions, GitLab CI), kept while roles trust it
version_added: 0.7.0
description:
  - Makes, updates or deletes the IAM OIDC identity provider for one issuer URL, so a CI system's short-lived
    tokens can assume an IAM role (C(sts:AssumeRoleWithWebIdentity)) and the CI holds no AWS keys.
  - An account has at most one provider per issuer URL, and other projects may trust it too. So O(owner_tags)
    decide what is changed, and V(absent) deletes the provider only when it carries them B(and) no IAM role's trust
    policy still names it (the module lists the account's roles to find out; C(used_by) names them).
  - A provider found without the owner tags is used as it is, unless O(adopt); the run fails when it lacks a
    wanted audience (client ID), since no role could then be assumed through it.
  - A no-op run makes two reads (C(ListOpenIDConnectProviders), C(GetOpenIDConnectProvider)) and no write.
  - Thumbprints are optional; AWS verifies the certificates of the big issuers (GitHub, GitLab.com) itself.
  - Why a module of our own - amazon.aws and community.aws (10.x) have no OIDC provider module (community.aws
    manages only SAML providers, community.aws.iam_saml_federation); no upstream issue asks for one yet.
author:
  - liftoff maintainers (@liftoff)
options:
  url:
    description: The issuer URL, C(https://) and a host (C(https://token.actions.githubusercontent.com)).
    type: str
    required: true
  client_ids:
    description: The audiences tokens may carry (C(sts.amazonaws.com) for GitHub's AWS action).
    type: list
    elements: str
    default: [sts.amazonaws.com]
  thumbprints:
    description: SHA-1 thumbprints (40 hex digits) of the issuer's certificate chain; empty leaves them to AWS.
    type: list
    elements: str
    default: []
  tags:
    description: Tags for the provider. Not given, its tags stay as they are (the owner tags are still added).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  owner_tags:
    description: Tags that mark the provider as this run's (see the description).
    type: dict
    default: {}
  adopt:
    description: Take over (tag and update) a provider that lacks O(owner_tags).
    type: bool
    default: false
  state:
    description: V(present) makes or updates it, V(absent) deletes it if it is ours and unused.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Let GitHub Actions workflows ask for AWS credentials
  liftoff.aws.iam_oidc_provider:
    url: https://token.actions.githubusercontent.com
    tags: {Project: demo, Environment: prod}
    owner_tags: {Project: demo, Environment: prod}
  register: oidc

- name: Gone again, unless another role still trusts it
  liftoff.aws.iam_oidc_provider:
    url: https://token.actions.githubusercontent.com
    owner_tags: {Project: demo, Environment: prod}
    state: absent
"""

RETURN = r"""
provider:
  description: The provider after the run (empty when absent; the ARN is known before creation).
  returned: always
  type: dict
  sample:
    arn: arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com
    url: https://token.actions.githubusercontent.com
    client_ids: [sts.amazonaws.com]
    thumbprints: []
    tags: {Project: demo, Environment: prod}
    owned: true
used_by:
  description: With V(absent), the roles whose trust policy names the provider (it is kept while there are any).
  returned: when state is absent
  type: list
  elements: str
  sample: [arn:aws:iam::123456789012:role/other-team-deploy]
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import ensure_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import load_policy
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags

URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$")
THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")


def issuer(url):
    """The provider's name in its ARN: the URL without https:// and without a trailing slash."""
    return url[len("https://"):].rstrip("/")


@aws_error_handler("list the OIDC providers")
def find(client, url):
    for item in client.list_open_id_connect_providers(aws_retry=True).get("OpenIDConnectProviderList") or []:
        if item["Arn"].split(":oidc-provider/", 1)[-1] == issuer(url):
            return item["Arn"], client.get_open_id_connect_provider(aws_retry=True, OpenIDConnectProviderArn=item["Arn"])
    return None, None


def _view(arn, url, client_ids, thumbprints, tags, owned):
    return {"arn": arn, "url": url, "client_ids": sorted(client_ids), "thumbprints": sorted(t.lower() for t in thumbprints),
            "tags": tags, "owned": owned}


def _tags(answer):
    return {t["Key"]: t.get("Value", "") for t in (answer or {}).get("Tags") or []}


@aws_error_handler("create the OIDC provider for {url}")
def create(client, url, client_ids, thumbprints, tags):
    params = {"Url": url, "ClientIDList": client_ids, "ThumbprintList": thumbprints}
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return client.create_open_id_connect_provider(aws_retry=True, **params)["OpenIDConnectProviderArn"]


@aws_error_handler("update the OIDC provider {arn}")
def update(client, arn, have, want):
    for client_id in sorted(set(want["client_ids"]) - set(have["client_ids"])):
        client.add_client_id_to_open_id_connect_provider(aws_retry=True, OpenIDConnectProviderArn=arn, ClientID=client_id)
    for client_id in sorted(set(have["client_ids"]) - set(want["client_ids"])):
        client.remove_client_id_from_open_id_connect_provider(aws_retry=True, OpenIDConnectProviderArn=arn, ClientID=client_id)
    if have["thumbprints"] != want["thumbprints"]:
        client.update_open_id_connect_provider_thumbprint(aws_retry=True, OpenIDConnectProviderArn=arn, ThumbprintList=want["thumbprints"])


@delete_or_gone("delete the OIDC provider {arn}")
def delete(client, arn):
    client.delete_open_id_connect_provider(aws_retry=True, OpenIDConnectProviderArn=arn)


@aws_error_handler("list the roles that trust {arn}")
def roles_trusting(client, arn):
    """ARNs of the account's roles whose trust policy names the provider as a federated principal."""
    found = []
    for role in paginate_all(client, "list_roles", "Roles"):
        document = load_policy(role.get("AssumeRolePolicyDocument")) or {}
        statements = document.get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            federated = (statement.get("Principal") or {}).get("Federated") if isinstance(statement.get("Principal"), dict) else None
            if arn in ([federated] if isinstance(federated, str) else federated or []):
                found.append(role["Arn"])
                break
    return sorted(found)


def ensure_present(module, client):
    url = module.params["url"].rstrip("/")
    desired, purge = wanted_tags(module, "the OIDC provider")
    arn, current = find(client, url)
    want = _view(arn, url, module.params["client_ids"], module.params["thumbprints"], dict(desired or {}), True)
    if current is None:
        if not module.check_mode:
            want["arn"] = create(client, url, want["client_ids"], want["thumbprints"], want["tags"])
        else:
            want["arn"] = "(known after creation)"
        return result(module, True, {}, want, provider=want)

    current_tags = _tags(current)
    owned = is_owned(current_tags, owner_tags_of(module))
    have = _view(arn, url, current.get("ClientIDList") or [], current.get("ThumbprintList") or [], current_tags, owned)
    if not owned and not module.params["adopt"]:
        missing = sorted(set(want["client_ids"]) - set(have["client_ids"]))
        if missing:
            module.fail_json(msg="the OIDC provider %s is not this run's (no owner tags %s) and lacks the audience(s) %s, "
                                 "so no role could be assumed through it: add them, or set adopt" % (arn, owner_tags_of(module), missing))
        return result(module, False, have, have, provider=have)

    settings_differ = (have["client_ids"], have["thumbprints"]) != (want["client_ids"], want["thumbprints"])
    if settings_differ and not module.check_mode:
        update(client, arn, have, want)

    @aws_error_handler("tag the OIDC provider %s" % arn)
    def set_tags(tags):
        client.tag_open_id_connect_provider(aws_retry=True, OpenIDConnectProviderArn=arn,
                                            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])

    @aws_error_handler("untag the OIDC provider %s" % arn)
    def unset_tags(keys):
        client.untag_open_id_connect_provider(aws_retry=True, OpenIDConnectProviderArn=arn, TagKeys=keys)

    tags_changed, after_tags = ensure_tags(module, current_tags, desired, purge, set_tags, unset_tags)
    after = dict(want, arn=arn, tags=after_tags, owned=True)
    return result(module, settings_differ or tags_changed, have, after, provider=after)


def ensure_absent(module, client):
    url = module.params["url"].rstrip("/")
    arn, current = find(client, url)
    if current is None:
        return result(module, False, {}, {}, provider={}, used_by=[])
    current_tags = _tags(current)
    owned = is_owned(current_tags, owner_tags_of(module))
    have = _view(arn, url, current.get("ClientIDList") or [], current.get("ThumbprintList") or [], current_tags, owned)
    if not owned:
        return result(module, False, have, have, provider=have, used_by=[])
    used_by = roles_trusting(client, arn)
    if used_by:
        module.warn("the OIDC provider %s is kept: the role(s) %s still trust it" % (arn, ", ".join(used_by)))
        return result(module, False, have, have, provider=have, used_by=used_by)
    if not module.check_mode:
        delete(client, arn)
    return result(module, True, have, {}, provider={}, used_by=[])


def check_params(params):
    problems = []
    if not URL.match(params["url"]):
        problems.append("url %r must be https:// and a host (and path), without query or fragment" % params["url"])
    if params["state"] == "present" and not params["client_ids"]:
        problems.append("client_ids is empty: a token's audience must be one of them, so no token would be accepted")
    bad = [t for t in params["thumbprints"] if not THUMBPRINT.match(t)]
    if bad:
        problems.append("thumbprints %s are not 40 hex digits (SHA-1)" % bad)
    if len(params["thumbprints"]) > 5:
        problems.append("thumbprints has %d entries: IAM takes at most 5" % len(params["thumbprints"]))
    return problems


def main():
    argument_spec = dict(
        url=dict(type="str", required=True),
        client_ids=dict(type="list", elements="str", default=["sts.amazonaws.com"]),
        thumbprints=dict(type="list", elements="str", default=[]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        owner_tags=dict(type="dict", default={}),
        adopt=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = check_params(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    run_state(module, ensure_present, ensure_absent, aws_client(module, "iam"))


if __name__ == "__main__":
    main()
