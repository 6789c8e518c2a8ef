"""liftoff.aws.cloudfront_function, in-process against moto (with the test bed's UpdateFunction/PublishFunction
patch): made and published, two reads and no write on a re-run, changed code updated and published again, check
mode that writes nothing, absent that deletes it."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import cloudfront_function
from tests.harness import moto_patches
from tests.unit.module_runner import run_module, writes

CODE = "function handler(event) { return event.request; }"


def args(**overrides):
    return dict({"name": "demo-prod-index", "code": CODE, "comment": "index", "region": "us-east-1"}, **overrides)


@pytest.fixture
def cloudfront(moto_aws):
    moto_patches.patch_cloudfront_function_update_and_publish()  # moto has neither call
    return boto3.client("cloudfront", region_name="us-east-1")


def test_check_then_create_and_publish_then_a_rerun_reads_twice(cloudfront):
    outcome, calls = run_module(cloudfront_function, args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == [] and outcome["function_arn"] == ""
    assert cloudfront.list_functions()["FunctionList"]["Quantity"] == 0

    outcome, calls = run_module(cloudfront_function, args())
    assert outcome["changed"] and writes(calls) == ["CreateFunction", "PublishFunction"]
    assert outcome["function_arn"] == "arn:aws:cloudfront::123456789012:function/demo-prod-index"
    assert outcome["status"] == "UNASSOCIATED"

    outcome, calls = run_module(cloudfront_function, args())
    assert not outcome["changed"] and calls == ["DescribeFunction", "GetFunction"]


def test_new_code_is_updated_then_published(cloudfront):
    run_module(cloudfront_function, args())
    outcome, calls = run_module(cloudfront_function, args(code=CODE + "\n// v2"), diff=True)
    assert outcome["changed"] and writes(calls) == ["UpdateFunction", "PublishFunction"]
    assert outcome["diff"]["before"]["code_sha256"] != outcome["diff"]["after"]["code_sha256"]
    assert cloudfront.get_function(Name="demo-prod-index")["FunctionCode"].read().endswith(b"// v2")


def test_an_unpublished_function_is_published(cloudfront):
    cloudfront.create_function(Name="demo-prod-index", FunctionCode=CODE.encode(),
                               FunctionConfig={"Comment": "index", "Runtime": "cloudfront-js-2.0"})
    outcome, calls = run_module(cloudfront_function, args())
    assert outcome["changed"] and writes(calls) == ["PublishFunction"]


def test_absent_deletes_it(cloudfront):
    run_module(cloudfront_function, args())
    outcome, calls = run_module(cloudfront_function, args(state="absent"), check=True)
    assert outcome["changed"] and writes(calls) == []
    outcome, _calls = run_module(cloudfront_function, args(state="absent"))
    assert outcome["changed"] and cloudfront.list_functions()["FunctionList"]["Quantity"] == 0
    outcome, calls = run_module(cloudfront_function, args(state="absent"))
    assert not outcome["changed"] and writes(calls) == []


@pytest.mark.parametrize("overrides, message", [
    ({"name": "bad name"}, "a function's name is 1 to 64"), ({"code": "x" * 10241}, "at most 10 KB")])
def test_bad_parameters_fail_before_any_call(cloudfront, overrides, message):
    outcome, calls = run_module(cloudfront_function, args(**overrides))
    assert outcome.get("failed") and message in outcome["msg"] and calls == []
