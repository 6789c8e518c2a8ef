#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudfront_function
short_description: A CloudFront Function, its code kept as given and published, with check mode and diff
version_added: 0.6.0
description:
  - Makes or updates one CloudFront Function (JavaScript run at the edge on viewer requests or responses) and
    publishes it, so a distribution can use it (RV(function_arn)). Code or comment changes are written to the
    DEVELOPMENT stage and published again.
  - A no-op run reads twice (C(DescribeFunction), C(GetFunction)) and writes nothing; a function that exists but
    was never published is published.
  - V(absent) deletes it; CloudFront refuses while a distribution still uses it, and the module then fails naming it.
  - Why a module of our own - neither amazon.aws nor community.aws (10.x) has one for CloudFront Functions.
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description: The function's name (letters, digits, hyphens and underscores, at most 64).
    type: str
    required: true
  code:
    description: The function's JavaScript (at most 10 KB). Required with V(present).
    type: str
  comment:
    description: Its comment.
    type: str
    default: ""
  runtime:
    description: The JavaScript runtime.
    type: str
    choices: [cloudfront-js-1.0, cloudfront-js-2.0]
    default: cloudfront-js-2.0
  state:
    description: V(present) makes, updates and publishes it; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Serve index.html for folder URLs
  liftoff.aws.cloudfront_function:
    name: demo-prod-index
    comment: /about/ -> /about/index.html
    code: "{{ lookup('ansible.builtin.file', 'index.js') }}"
  register: index_function
"""

RETURN = r"""
function_arn:
  description: The function's ARN, what a distribution's function association names (empty in check mode for a new one).
  returned: always
  type: str
  sample: arn:aws:cloudfront::123456789012:function/demo-prod-index
status:
  description: C(UNPUBLISHED), C(UNASSOCIATED) or C(ASSOCIATED) (the DEVELOPMENT stage's status).
  returned: always
  type: str
  sample: ASSOCIATED
"""

import hashlib
import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state

NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
MISSING = ("NoSuchFunctionExists",)


@describe_or_none("describe function {name}", codes=MISSING)
def describe(client, name):
    return client.describe_function(aws_retry=True, Name=name, Stage="DEVELOPMENT")


@aws_error_handler("read the code of function {name}")
def code_of(client, name):
    body = client.get_function(aws_retry=True, Name=name, Stage="DEVELOPMENT")["FunctionCode"]
    return body.read() if hasattr(body, "read") else body


def _view(config, code, status):
    if config is None:
        return {}
    return {"comment": config.get("Comment", ""), "runtime": config.get("Runtime", ""),
            "code_sha256": hashlib.sha256(code or b"").hexdigest(), "published": status != "UNPUBLISHED"}


@aws_error_handler("create function {name}")
def create(client, name, config, code):
    return client.create_function(aws_retry=True, Name=name, FunctionConfig=config, FunctionCode=code)["ETag"]


@aws_error_handler("update function {name}")
def update(client, name, etag, config, code):
    return client.update_function(aws_retry=True, Name=name, IfMatch=etag, FunctionConfig=config,
                                  FunctionCode=code)["ETag"]


@aws_error_handler("publish function {name}")
def publish(client, name, etag):
    return client.publish_function(aws_retry=True, Name=name, IfMatch=etag)["FunctionSummary"]


@delete_or_gone("delete function {name} (a distribution that still uses it keeps it)", codes=MISSING)
def delete(client, name, etag):
    client.delete_function(aws_retry=True, Name=name, IfMatch=etag)


def ensure_present(module, client):
    params = module.params
    name = params["name"]
    config = {"Comment": params["comment"], "Runtime": params["runtime"]}
    code = params["code"].encode("utf-8")
    found = describe(client, name)
    before, arn, status = {}, "", "UNPUBLISHED"
    if found is not None:
        summary = found["FunctionSummary"]
        arn, status = summary["FunctionMetadata"]["FunctionARN"], summary.get("Status", "UNPUBLISHED")
        before = _view(summary["FunctionConfig"], code_of(client, name), status)
    content_same = before and {k: v for k, v in before.items() if k != "published"} == {
        k: v for k, v in _view(config, code, "").items() if k != "published"}
    changed = not (content_same and before["published"])
    after = _view(config, code, "UNASSOCIATED")
    if changed and not module.check_mode:
        if found is None:
            etag = create(client, name, config, code)
        elif not content_same:
            etag = update(client, name, found["ETag"], config, code)
        else:
            etag = found["ETag"]
        summary = publish(client, name, etag)
        arn, status = summary["FunctionMetadata"]["FunctionARN"], summary.get("Status", "UNASSOCIATED")
    return result(module, changed, before, after, function_arn=arn, status=status if arn else "")


def ensure_absent(module, client):
    name = module.params["name"]
    found = describe(client, name)
    if found is not None and not module.check_mode:
        delete(client, name, found["ETag"])
    return result(module, found is not None, {"name": name} if found else {}, {}, function_arn="", status="")


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        code=dict(type="str"),
        comment=dict(type="str", default=""),
        runtime=dict(type="str", choices=["cloudfront-js-1.0", "cloudfront-js-2.0"], default="cloudfront-js-2.0"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_if=[("state", "present", ["code"])])
    if not NAME.match(module.params["name"]):
        module.fail_json(msg="name %r: a function's name is 1 to 64 letters, digits, hyphens and underscores"
                         % module.params["name"])
    if module.params["code"] is not None and len(module.params["code"].encode("utf-8")) > 10240:
        module.fail_json(msg="code is %d bytes: a CloudFront Function holds at most 10 KB"
                         % len(module.params["code"].encode("utf-8")))
    run_state(module, ensure_present, ensure_absent, aws_client(module, "cloudfront"))


if __name__ == "__main__":
    main()
