"""Pure logic of the harness: recap parsing and read/write classification."""

from __future__ import annotations

import base64

from tests.harness.emulator import classify
from tests.harness.playbook import parse_recap

RECAP = """
TASK [x] ***
ok: [localhost]

PLAY RECAP *********************************************************************
localhost                  : ok=11   changed=2    unreachable=0    failed=0    skipped=3    rescued=0    ignored=0
web1                       : ok=4    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0

"""

AUTH = "AWS4-HMAC-SHA256 Credential=AKIA/20261126/eu-west-1/{}/aws4_request, SignedHeaders=host, Signature=x"


def test_parse_recap_reads_every_host():
    recap = parse_recap(RECAP)
    assert recap["localhost"]["changed"] == 2
    assert recap["localhost"]["skipped"] == 3
    assert recap["web1"]["unreachable"] == 1


def test_parse_recap_without_recap_is_empty():
    assert parse_recap("ERROR! the playbook could not be found") == {}


def test_query_protocol_action_from_form_body():
    body = base64.b64encode(b"Action=CreateUser&UserName=x&Version=2010-05-08").decode()
    call = classify({"method": "POST", "url": "http://127.0.0.1:1/", "body": body, "body_encoded": True,
                     "headers": {"Authorization": AUTH.format("iam"),
                                 "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}})
    assert (call.service, call.operation, call.is_write) == ("iam", "CreateUser", True)


def test_json_protocol_target_header():
    call = classify({"method": "POST", "url": "http://127.0.0.1:1/", "body": "{}",
                     "headers": {"Authorization": AUTH.format("logs"), "X-Amz-Target": "Logs_20140328.DescribeLogGroups"}})
    assert (call.operation, call.is_read) == ("DescribeLogGroups", True)


def test_rest_protocol_uses_http_verb():
    get = classify({"method": "GET", "url": "http://127.0.0.1:1/bucket?versioning", "headers": {"Authorization": AUTH.format("s3")}})
    put = classify({"method": "PUT", "url": "http://127.0.0.1:1/bucket?versioning", "headers": {"Authorization": AUTH.format("s3")}})
    assert get.is_read and not get.is_write
    assert put.is_write


def test_emulator_control_calls_are_not_counted():
    assert classify({"method": "POST", "url": "http://127.0.0.1:1/moto-api/reset", "headers": {}}) is None
