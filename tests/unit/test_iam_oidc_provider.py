"""liftoff.aws.iam_oidc_provider, in-process against moto (Stubber for the client-ID calls moto lacks): made once per
issuer with its tags, two reads on a re-run, someone else's provider used but not changed, and absent that keeps
a provider a role still trusts."""

from __future__ import annotations

import json

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import iam_oidc_provider as oidc
from tests.unit.module_runner import run_module, run_stubbed, writes

URL = "https://token.actions.githubusercontent.com"
OWNER = {"Project": "demo", "Environment": "prod"}
ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def args(**overrides):
    return dict({"url": URL, "tags": OWNER, "owner_tags": OWNER, "region": "us-east-1"}, **overrides)


@pytest.fixture
def iam(moto_aws):
    return boto3.client("iam", region_name="us-east-1")


def providers(iam):
    return [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]


def trusting_role(iam, name, provider_arn):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity"}]}))


def test_check_create_and_a_rerun_that_reads_twice(iam):
    outcome, calls = run_module(oidc, args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == [] and providers(iam) == []

    outcome, _calls = run_module(oidc, args())
    assert outcome["changed"] and providers(iam) == [ARN] and outcome["provider"]["arn"] == ARN
    made = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    assert made["ClientIDList"] == ["sts.amazonaws.com"] and {t["Key"]: t["Value"] for t in made["Tags"]} == OWNER

    outcome, calls = run_module(oidc, args(url=URL + "/"))
    assert not outcome["changed"] and calls == ["ListOpenIDConnectProviders", "GetOpenIDConnectProvider"]


def test_thumbprints_and_tags_are_updated(iam):
    run_module(oidc, args())
    outcome, calls = run_module(oidc, args(thumbprints=["A" * 40], tags=dict(OWNER, Team="ci")), diff=True)
    assert outcome["changed"] and sorted(writes(calls)) == ["TagOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint"]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)["ThumbprintList"] == ["a" * 40]  # sent as lower-case hex
    outcome, calls = run_module(oidc, args(thumbprints=["a" * 40], tags=dict(OWNER, Team="ci")))
    assert not outcome["changed"] and writes(calls) == []


def test_someone_elses_provider_is_used_as_it_is(iam):
    iam.create_open_id_connect_provider(Url=URL, ClientIDList=["sts.amazonaws.com"], ThumbprintList=[])
    outcome, calls = run_module(oidc, args(thumbprints=["b" * 40]))
    assert not outcome["changed"] and writes(calls) == [] and outcome["provider"]["owned"] is False
    outcome, calls = run_module(oidc, args(client_ids=["https://gitlab.com"]))
    assert outcome["failed"] and "lacks the audience" in outcome["msg"] and writes(calls) == []
    outcome, calls = run_module(oidc, args(state="absent"))
    assert not outcome["changed"] and writes(calls) == [] and providers(iam) == [ARN]


def test_absent_keeps_it_while_a_role_trusts_it_then_deletes_it_once(iam):
    run_module(oidc, args())
    trusting_role(iam, "other-team-deploy", ARN)
    outcome, calls = run_module(oidc, args(state="absent"))
    assert not outcome["changed"] and writes(calls) == [] and providers(iam) == [ARN]
    assert outcome["used_by"] == ["arn:aws:iam::123456789012:role/other-team-deploy"] and outcome["warnings"]

    iam.delete_role(RoleName="other-team-deploy")
    outcome, calls = run_module(oidc, args(state="absent"), check=True)
    assert outcome["changed"] and writes(calls) == [] and providers(iam) == [ARN]
    outcome, calls = run_module(oidc, args(state="absent"))
    assert outcome["changed"] and writes(calls) == ["DeleteOpenIDConnectProvider"] and providers(iam) == []
    outcome, calls = run_module(oidc, args(state="absent"))
    assert not outcome["changed"] and calls == ["ListOpenIDConnectProviders"]


def test_audiences_are_added_and_removed_one_by_one():
    current = {"Url": "token.actions.githubusercontent.com", "ClientIDList": ["old-audience"], "ThumbprintList": [],
               "Tags": [{"Key": k, "Value": v} for k, v in OWNER.items()]}

    def script(stub):
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": ARN}]})
        stub.add_response("get_open_id_connect_provider", current, {"OpenIDConnectProviderArn": ARN})
        stub.add_response("add_client_id_to_open_id_connect_provider", {},
                          {"OpenIDConnectProviderArn": ARN, "ClientID": "sts.amazonaws.com"})
        stub.add_response("remove_client_id_from_open_id_connect_provider", {},
                          {"OpenIDConnectProviderArn": ARN, "ClientID": "old-audience"})

    outcome = run_stubbed(oidc, args(), {"iam": script})
    assert outcome["changed"] and outcome["provider"]["client_ids"] == ["sts.amazonaws.com"]
    assert outcome["diff"]["before"]["client_ids"] == ["old-audience"]


@pytest.mark.parametrize("overrides, message", [
    ({"url": "http://token.actions.githubusercontent.com"}, "must be https://"),
    ({"url": "https://x.example/?a=b"}, "must be https://"),
    ({"client_ids": []}, "no token would be accepted"),
    ({"thumbprints": ["abc"]}, "not 40 hex digits"),
])
def test_bad_input_fails_before_any_call(iam, overrides, message):
    outcome, calls = run_module(oidc, args(**overrides))
    assert outcome["failed"] and message in outcome["msg"] and calls == []
