#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_endpoint_policy
short_description: Set the policy of an existing VPC endpoint
version_added: 0.2.0
description:
  - Reads the endpoint O(vpc_endpoint_id) (C(DescribeVpcEndpoints)) and, when its policy document differs in
    meaning from O(policy) (statement order and one-item lists do not count), replaces it
    (C(ModifyVpcEndpoint) with C(PolicyDocument)). It changes nothing else on the endpoint.
  - Check mode and diff are supported; check mode calls no write API.
  - Why a module of our own - amazon.aws.ec2_vpc_endpoint (10.1) takes a policy only when it creates an
    endpoint; for an existing endpoint it sets the tags and leaves the policy as it is.
author:
  - liftoff maintainers (@liftoff)
options:
  vpc_endpoint_id:
    description: The endpoint.
    type: str
    required: true
  policy:
    description:
      - The policy document (a dict, or a JSON string).
      - "AWS's default for a gateway endpoint (full access) is C(Version 2008-10-17) with one statement allowing
        C(Action *) on C(Resource *) to C(Principal *)."
    type: json
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Only the project's bucket through the S3 endpoint
  liftoff.aws.ec2_vpc_endpoint_policy:
    vpc_endpoint_id: vpce-0123456789abcdef0
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: "*"
          Action: "s3:*"
          Resource: ["arn:aws:s3:::demo-prod-uploads", "arn:aws:s3:::demo-prod-uploads/*"]
"""

RETURN = r"""
policy_document:
  description: The endpoint's policy document after the run (in check mode, what it would be).
  returned: success
  type: dict
  sample: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
           "Resource": ["arn:aws:s3:::demo-prod-uploads", "arn:aws:s3:::demo-prod-uploads/*"]}]}
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import load_policy
from ansible_collections.liftoff.aws.plugins.module_utils.core import policy_changed
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode


@aws_error_handler("read VPC endpoint {endpoint_id}")
def current_policy(client, endpoint_id):
    endpoints = client.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id], aws_retry=True)["VpcEndpoints"]
    return load_policy(endpoints[0].get("PolicyDocument")) if endpoints else None


@aws_error_handler("set the policy of VPC endpoint {endpoint_id}")
def set_policy(module, client, endpoint_id, document):
    unless_check_mode(module, client.modify_vpc_endpoint, VpcEndpointId=endpoint_id, PolicyDocument=json.dumps(document))


def ensure_present(module, client):
    endpoint_id = module.params["vpc_endpoint_id"]
    wanted = load_policy(module.params["policy"])
    if not isinstance(wanted, dict) or not wanted.get("Statement"):
        module.fail_json(msg="policy must be a policy document with a Statement")
    before = current_policy(client, endpoint_id)
    changed = policy_changed(before, wanted)
    if changed:
        set_policy(module, client, endpoint_id, wanted)
    after = wanted if changed else before
    return result(module, changed, before, after, policy_document=after)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_endpoint_id=dict(type="str", required=True),
            policy=dict(type="json", required=True),
        ),
        supports_check_mode=True,
    )
    run(module, ensure_present, aws_client(module, "ec2"))


if __name__ == "__main__":
    main()
