#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: account_defaults
short_description: Account and region security defaults - EBS encryption, instance metadata (IMDS), S3 Block Public Access
version_added: 0.3.0
description:
  - Sets three account-level security defaults, each only when its option is given (an option left out is never
    read nor written) - EBS encryption by default (in the module's region), the account's instance metadata
    defaults for new instances (in the module's region) and the account-level S3 Block Public Access (all regions).
  - Each given setting is read once; a setting is written only when it differs from the request, so a run that
    changes nothing makes no write call. Reads are C(GetEbsEncryptionByDefault), C(GetInstanceMetadataDefaults)
    and C(s3control:GetPublicAccessBlock) (plus one C(sts:GetCallerIdentity) when O(s3_public_access_block) is
    given without O(account_id)).
  - Check mode and diff are supported; check mode calls no write API and reports the change it would make.
  - Why a module of our own - neither amazon.aws 10 nor community.aws 10 manages EBS encryption by default
    (C(EnableEbsEncryptionByDefault)), the account's instance metadata defaults (C(ModifyInstanceMetadataDefaults);
    M(amazon.aws.ec2_instance) sets metadata options per instance only) or S3 account-level Block Public Access
    (C(s3control:PutPublicAccessBlock); M(amazon.aws.s3_bucket) sets it per bucket only). No upstream issue asking
    for them was found.
  - In the collection's tests, moto 5.2.5 backs the EBS and S3 calls; it lacks C(GetInstanceMetadataDefaults) and
    C(ModifyInstanceMetadataDefaults), so those paths are covered by botocore Stubber unit tests and by an emulator
    patch in the tests (C(tests/harness/moto_patches.py), C(patch_instance_metadata_defaults)).
author:
  - liftoff maintainers (@liftoff)
options:
  state:
    description:
      - V(present) sets each given setting to its value.
      - V(absent) restores AWS's default for each given setting (the option's value is then not used) - EBS
        encryption by default disabled, O(instance_metadata_http_tokens) back to V(no-preference),
        O(instance_metadata_hop_limit) back to no preference, the account's S3 Block Public Access configuration
        deleted. A setting that is already at AWS's default is not written.
    type: str
    choices: [present, absent]
    default: present
  ebs_encryption_by_default:
    description:
      - Whether new EBS volumes (and snapshot copies) in the module's region are encrypted by default.
      - Left out, the setting is not read or changed.
    type: bool
  instance_metadata_http_tokens:
    description:
      - The account's default C(HttpTokens) for new instances in the module's region - V(required) (IMDSv2 only),
        V(optional) (IMDSv1 allowed) or V(no-preference) (no account default; what AWS has when it was never set).
      - The account's other instance metadata defaults (C(HttpEndpoint), C(InstanceMetadataTags)) are left alone.
      - Left out, the setting is not read or changed.
    type: str
    choices: [required, optional, no-preference]
  instance_metadata_hop_limit:
    description:
      - The account's default C(HttpPutResponseHopLimit) for new instances in the module's region (1 to 64).
      - Left out, the setting is not read or changed. O(state=absent) sets it back to no preference.
    type: int
  s3_public_access_block:
    description:
      - V(true) turns on the account's S3 Block Public Access with all four settings true (C(BlockPublicAcls),
        C(IgnorePublicAcls), C(BlockPublicPolicy), C(RestrictPublicBuckets)); a partial configuration is completed.
      - V(false) means no account-level block - the configuration is deleted (AWS's default, all four false) when
        any of the four is true.
      - The setting is account-wide (all regions). Left out, it is not read or changed.
    type: bool
  account_id:
    description:
      - The account whose S3 Block Public Access is managed. Default - the caller's account (one
        C(sts:GetCallerIdentity) call, only when O(s3_public_access_block) is given).
    type: str
notes:
  - EBS encryption by default uses the account's default KMS key for EBS in the region; this module does not change
    that key.
  - The instance metadata defaults apply to instances launched afterwards that do not set the option themselves (see
    "Order of precedence for instance metadata options" in the Amazon EC2 User Guide); running instances are not changed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Encrypted volumes, IMDSv2 only and no public S3 for the account
  liftoff.aws.account_defaults:
    region: eu-west-1
    ebs_encryption_by_default: true
    instance_metadata_http_tokens: required
    instance_metadata_hop_limit: 2
    s3_public_access_block: true

- name: Only EBS encryption by default in another region (nothing else is read)
  liftoff.aws.account_defaults:
    region: us-east-1
    ebs_encryption_by_default: true

- name: Restore AWS's defaults for the same settings
  liftoff.aws.account_defaults:
    region: eu-west-1
    state: absent
    ebs_encryption_by_default: true
    instance_metadata_http_tokens: required
    instance_metadata_hop_limit: 2
    s3_public_access_block: true
"""

RETURN = r"""
ebs_encryption_by_default:
  description: Whether EBS encryption by default is on in the region after the run (in check mode, what it would be).
  returned: when O(ebs_encryption_by_default) is given
  type: bool
  sample: true
instance_metadata_defaults:
  description: The account's instance metadata defaults in the region after the run (in check mode, what they would be).
  returned: when O(instance_metadata_http_tokens) or O(instance_metadata_hop_limit) is given
  type: dict
  contains:
    http_tokens:
      description: V(required), V(optional), or V(no-preference) when the account has no default.
      type: str
      sample: required
    http_put_response_hop_limit:
      description: The default hop limit (1 to 64), or V(-1) when the account has no default.
      type: int
      sample: 2
  sample:
    http_tokens: required
    http_put_response_hop_limit: 2
s3_public_access_block:
  description: The account's S3 Block Public Access settings after the run (in check mode, what they would be); all false
    when the account has no configuration.
  returned: when O(s3_public_access_block) is given
  type: dict
  contains:
    block_public_acls:
      description: New public ACLs are refused.
      type: bool
      sample: true
    ignore_public_acls:
      description: Existing public ACLs are ignored.
      type: bool
      sample: true
    block_public_policy:
      description: Public bucket and access point policies are refused.
      type: bool
      sample: true
    restrict_public_buckets:
      description: Buckets with a public policy are reachable only by AWS services and the owner account.
      type: bool
      sample: true
  sample:
    block_public_acls: true
    ignore_public_acls: true
    block_public_policy: true
    restrict_public_buckets: true
diff:
  description: With C(--diff), the given settings before and after the run (the three keys above, only those given).
  returned: when diff mode is on
  type: dict
  sample:
    before:
      ebs_encryption_by_default: false
      instance_metadata_defaults: {http_tokens: no-preference, http_put_response_hop_limit: -1}
      s3_public_access_block: {block_public_acls: false, ignore_public_acls: false, block_public_policy: false,
                               restrict_public_buckets: false}
    after:
      ebs_encryption_by_default: true
      instance_metadata_defaults: {http_tokens: required, http_put_response_hop_limit: 2}
      s3_public_access_block: {block_public_acls: true, ignore_public_acls: true, block_public_policy: true,
                               restrict_public_buckets: true}
"""

from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode

# AWS's spelling of "no account default" for the two instance metadata settings.
NO_PREFERENCE = "no-preference"
NO_HOP_LIMIT = -1
# The four S3 Block Public Access settings: the module's key and AWS's.
BPA_FIELDS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


class Clients:
    """The module's AWS clients, each made on first use (a setting that is not given needs no client)."""

    def __init__(self, module):
        self.module = module
        self.made = {}

    def __call__(self, service):
        if service not in self.made:
            self.made[service] = aws_client(self.module, service)
            if service == "s3control" and not is_aws_endpoint(self.made[service].client.meta.endpoint_url):
                # S3 Control puts the account ID in front of the host (<account>.s3-control.<region>.amazonaws.com).
                # A custom endpoint_url (an emulator, a proxy) is one host: the ID is sent in x-amz-account-id only.
                self.made[service].client.meta.events.register("before-sign.s3-control.*", strip_account_host_prefix)
        return self.made[service]


def is_aws_endpoint(url):
    host = urlsplit(url or "").hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))


def strip_account_host_prefix(request, **kwargs):
    """``<account>.<endpoint host>`` back to ``<endpoint host>`` (the account stays in the x-amz-account-id header)."""
    account = request.headers.get("x-amz-account-id")
    if isinstance(account, bytes):
        account = account.decode()
    parts = urlsplit(request.url)
    if account and parts.netloc.startswith(account + "."):
        request.url = urlunsplit(parts._replace(netloc=parts.netloc[len(account) + 1:]))


# -- EBS encryption by default (EC2, the module's region) -------------------------------------

@aws_error_handler("read EBS encryption by default")
def read_ebs_encryption(client):
    return bool(client.get_ebs_encryption_by_default(aws_retry=True)["EbsEncryptionByDefault"])


@aws_error_handler("change EBS encryption by default")
def write_ebs_encryption(module, client, enabled):
    call = client.enable_ebs_encryption_by_default if enabled else client.disable_ebs_encryption_by_default
    unless_check_mode(module, call)


# -- instance metadata defaults (EC2, the module's region) ------------------------------------

@aws_error_handler("read the account's instance metadata defaults")
def read_imds_defaults(client):
    account = client.get_instance_metadata_defaults(aws_retry=True).get("AccountLevel") or {}
    # AWS leaves a key out when the account has no default for it.
    return {"http_tokens": account.get("HttpTokens", NO_PREFERENCE),
            "http_put_response_hop_limit": account.get("HttpPutResponseHopLimit", NO_HOP_LIMIT)}


@aws_error_handler("modify the account's instance metadata defaults")
def write_imds_defaults(module, client, changes):
    unless_check_mode(module, client.modify_instance_metadata_defaults, **changes)


# -- S3 account-level Block Public Access (s3control, account-wide) ---------------------------

@aws_error_handler("find the caller's account")
def caller_account(clients):
    return clients("sts").get_caller_identity(aws_retry=True)["Account"]


@describe_or_none("read the S3 Block Public Access of account {account}", codes=("NoSuchPublicAccessBlockConfiguration",))
def read_bpa_configuration(client, account):
    return client.get_public_access_block(AccountId=account, aws_retry=True)["PublicAccessBlockConfiguration"]


def read_bpa(client, account):
    """The four settings as the module's booleans; all false when the account has no configuration."""
    configuration = read_bpa_configuration(client, account) or {}
    return {ours: bool(configuration.get(theirs, False)) for ours, theirs in BPA_FIELDS.items()}


@aws_error_handler("turn on S3 Block Public Access for account {account}")
def put_bpa(module, client, account):
    unless_check_mode(module, client.put_public_access_block, AccountId=account,
                      PublicAccessBlockConfiguration={theirs: True for theirs in BPA_FIELDS.values()})


@delete_or_gone("delete the S3 Block Public Access of account {account}", codes=("NoSuchPublicAccessBlockConfiguration",))
def delete_bpa(module, client, account):
    unless_check_mode(module, client.delete_public_access_block, AccountId=account)


def all_bpa(value):
    return {ours: value for ours in BPA_FIELDS}


# -- what the user asked for ------------------------------------------------------------------

def wanted_settings(params):
    """The given settings as the module reports them; with state=absent, AWS's defaults for them.

    The instance metadata entry holds only the given sub-settings (the others are kept as they are).
    """
    restore = params["state"] == "absent"
    wanted = {}
    if params["ebs_encryption_by_default"] is not None:
        wanted["ebs_encryption_by_default"] = False if restore else params["ebs_encryption_by_default"]
    imds = {}
    if params["instance_metadata_http_tokens"] is not None:
        imds["http_tokens"] = NO_PREFERENCE if restore else params["instance_metadata_http_tokens"]
    if params["instance_metadata_hop_limit"] is not None:
        imds["http_put_response_hop_limit"] = NO_HOP_LIMIT if restore else params["instance_metadata_hop_limit"]
    if imds:
        wanted["instance_metadata_defaults"] = imds
    if params["s3_public_access_block"] is not None:
        wanted["s3_public_access_block"] = all_bpa(False if restore else params["s3_public_access_block"])
    return wanted


def read_settings(module, clients, wanted):
    """The current value of each wanted setting (one read each; the account first when S3 needs it)."""
    before = {}
    if "ebs_encryption_by_default" in wanted:
        before["ebs_encryption_by_default"] = read_ebs_encryption(clients("ec2"))
    if "instance_metadata_defaults" in wanted:
        before["instance_metadata_defaults"] = read_imds_defaults(clients("ec2"))
    if "s3_public_access_block" in wanted:
        account = module.params["account_id"] or caller_account(clients)
        before["s3_public_access_block"] = read_bpa(clients("s3control"), account)
        before["account_id"] = account
    return before


def ensure(module, clients):
    wanted = wanted_settings(module.params)
    before = read_settings(module, clients, wanted)
    account = before.pop("account_id", None)
    after = {}
    changed = False

    if "ebs_encryption_by_default" in wanted:
        after["ebs_encryption_by_default"] = wanted["ebs_encryption_by_default"]
        if before["ebs_encryption_by_default"] != after["ebs_encryption_by_default"]:
            write_ebs_encryption(module, clients("ec2"), after["ebs_encryption_by_default"])
            changed = True

    if "instance_metadata_defaults" in wanted:
        after["instance_metadata_defaults"] = dict(before["instance_metadata_defaults"], **wanted["instance_metadata_defaults"])
        changes = {}
        if after["instance_metadata_defaults"]["http_tokens"] != before["instance_metadata_defaults"]["http_tokens"]:
            changes["HttpTokens"] = after["instance_metadata_defaults"]["http_tokens"]
        hop_limit = after["instance_metadata_defaults"]["http_put_response_hop_limit"]
        if hop_limit != before["instance_metadata_defaults"]["http_put_response_hop_limit"]:
            changes["HttpPutResponseHopLimit"] = hop_limit
        if changes:
            write_imds_defaults(module, clients("ec2"), changes)
            changed = True

    if "s3_public_access_block" in wanted:
        after["s3_public_access_block"] = wanted["s3_public_access_block"]
        if before["s3_public_access_block"] != after["s3_public_access_block"]:
            if after["s3_public_access_block"] == all_bpa(True):
                put_bpa(module, clients("s3control"), account)
            else:
                delete_bpa(module, clients("s3control"), account)
            changed = True

    return result(module, changed, before, after, **after)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            ebs_encryption_by_default=dict(type="bool"),
            instance_metadata_http_tokens=dict(type="str", choices=["required", "optional", NO_PREFERENCE], no_log=False),
            instance_metadata_hop_limit=dict(type="int"),
            s3_public_access_block=dict(type="bool"),
            account_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    hop_limit = module.params["instance_metadata_hop_limit"]
    if hop_limit is not None and not 1 <= hop_limit <= 64:
        module.fail_json(msg="instance_metadata_hop_limit is %d: use 1 to 64 (state=absent restores no preference)" % hop_limit)
    run_state(module, ensure, ensure, Clients(module))


if __name__ == "__main__":
    main()
