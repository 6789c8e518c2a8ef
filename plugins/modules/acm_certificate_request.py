#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: acm_certificate_request
short_description: An ACM public certificate requested with DNS validation, found again by its tags
version_added: 0.6.0
description:
  - Requests a public certificate from AWS Certificate Manager for O(domain_name) and O(subject_alternative_names)
    with DNS validation, tagged with O(tags), and returns the CNAME records that prove the domains are yours
    (RV(validation_records)) and the certificate's status. It does not write the records and does not wait; the
    cdn role writes them into Route 53 and polls this module until the certificate is issued, printing each try.
  - The certificate is found again by its domain and O(owner_tags). A no-op run reads three times
    (C(ListCertificates), C(ListTagsForCertificate), C(DescribeCertificate)) and writes nothing. A certificate's
    names cannot change - when they differ, a new one is requested and the old one is returned in
    RV(superseded_arns), for the caller to delete once nothing uses it.
  - V(absent) deletes every certificate of the domain that carries O(owner_tags); one still in use (by a
    CloudFront distribution) fails the run by name.
  - CloudFront only uses certificates of C(us-east-1); the module does not force a region, the cdn role does.
  - Why a module of our own - community.aws.acm_certificate (10.x) only imports certificates ("does not currently
    interact with AWS-provided certificates", its documentation says) and amazon.aws has no ACM module.
author:
  - liftoff maintainers (@liftoff)
options:
  domain_name:
    description: The certificate's main name, like C(example.com) or C(*.example.com).
    type: str
    required: true
  subject_alternative_names:
    description: More names on the certificate, like C(www.example.com).
    type: list
    elements: str
    default: []
  key_algorithm:
    description: The key's algorithm.
    type: str
    choices: [RSA_2048, EC_prime256v1, EC_secp384r1]
    default: RSA_2048
  owner_tags:
    description: Tags that mark a certificate as the module's. O(tags) must include them.
    type: dict
    required: true
  tags:
    description: The certificate's tags (given when it is requested; changed later as needed).
    type: dict
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  state:
    description: V(present) finds or requests it, V(absent) deletes the module's certificates of the domain.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The site's certificate (CloudFront reads certificates from us-east-1 only)
  liftoff.aws.acm_certificate_request:
    region: us-east-1
    domain_name: example.com
    subject_alternative_names: [www.example.com]
    owner_tags: {Project: demo, ManagedBy: liftoff}
    tags: {Project: demo, ManagedBy: liftoff}
  register: cert

- name: Wait until it is issued (the validation records must be in DNS)
  liftoff.aws.acm_certificate_request:
    region: us-east-1
    domain_name: example.com
    subject_alternative_names: [www.example.com]
    owner_tags: {Project: demo, ManagedBy: liftoff}
  register: cert
  until: cert.status == 'ISSUED'
  retries: 60
  delay: 15
"""

RETURN = r"""
certificate_arn:
  description: The certificate's ARN (empty in check mode for one the run would request).
  returned: always
  type: str
  sample: arn:aws:acm:us-east-1:123456789012:certificate/0b6f3f3c-1c1d-4a3a-9d8f-0123456789ab
status:
  description: C(PENDING_VALIDATION), C(ISSUED), C(FAILED), ... (empty when there is none).
  returned: always
  type: str
  sample: ISSUED
domains:
  description: Every name on the certificate, the main one first.
  returned: always
  type: list
  elements: str
  sample: [example.com, www.example.com]
validation_records:
  description:
    - The CNAME records that validate the names, in Route 53's record form (C(name), C(type), C(ttl), C(values)),
      one per distinct record (a name and its wildcard share one). Empty until ACM has made them (seconds).
  returned: always
  type: list
  elements: dict
  sample: [{name: _3b5e.example.com., type: CNAME, ttl: 300, values: [_9c1f.abcdefgh.acm-validations.aws.]}]
superseded_arns:
  description: Certificates of the module's for the domain whose names differ from the wanted ones.
  returned: always
  type: list
  elements: str
  sample: []
"""

import hashlib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import ensure_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags

# Statuses a certificate is never used again from.
DEAD = ("EXPIRED", "REVOKED", "FAILED", "VALIDATION_TIMED_OUT", "INACTIVE")


def _name(name):
    return str(name).rstrip(".").lower()


@aws_error_handler("list the certificates of {domain}")
def owned_certificates(client, domain, algorithm, owner_tags):
    """(summary, tags) of each certificate whose main name is ``domain`` and that carries ``owner_tags``."""
    found = []
    for summary in paginate_all(client, "list_certificates", "CertificateSummaryList",
                                Includes={"keyTypes": [algorithm]}):
        if _name(summary["DomainName"]) != domain or summary.get("Status") in DEAD:
            continue
        tags = {t["Key"]: t.get("Value", "") for t in client.list_tags_for_certificate(
            aws_retry=True, CertificateArn=summary["CertificateArn"]).get("Tags", [])}
        if is_owned(tags, owner_tags):
            found.append((summary, tags))
    return found


@aws_error_handler("describe certificate {arn}")
def describe(client, arn):
    return client.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]


def validation_records(certificate):
    records, seen = [], set()
    for option in certificate.get("DomainValidationOptions", []):
        record = option.get("ResourceRecord")
        if not record or (record["Name"], record["Value"]) in seen:
            continue
        seen.add((record["Name"], record["Value"]))
        records.append({"name": record["Name"], "type": record["Type"], "ttl": 300, "values": [record["Value"]]})
    return records


def domains_of(certificate):
    main = _name(certificate["DomainName"])
    return [main] + sorted({_name(n) for n in certificate.get("SubjectAlternativeNames", [])} - {main})


def wanted_domains(params):
    main = _name(params["domain_name"])
    return [main] + sorted({_name(n) for n in params["subject_alternative_names"]} - {main})


@aws_error_handler("request a certificate for {domains[0]}")
def request(client, domains, algorithm, tags):
    token = hashlib.sha256(" ".join(domains + [algorithm]).encode()).hexdigest()[:32]
    params = {"DomainName": domains[0], "ValidationMethod": "DNS", "IdempotencyToken": token, "KeyAlgorithm": algorithm}
    if len(domains) > 1:
        params["SubjectAlternativeNames"] = domains
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return client.request_certificate(aws_retry=True, **params)["CertificateArn"]


@delete_or_gone("delete certificate {arn} (a certificate in use - by a CloudFront distribution - is kept)",
                codes=("ResourceNotFoundException",))
def delete(client, arn):
    client.delete_certificate(aws_retry=True, CertificateArn=arn)


def _returned(module, changed, before, after, arn, certificate, superseded):
    return result(module, changed, before, after, certificate_arn=arn,
                  status=(certificate or {}).get("Status", ""),
                  domains=domains_of(certificate) if certificate else after.get("domains", []),
                  validation_records=validation_records(certificate or {}), superseded_arns=superseded)


def ensure_present(module, client):
    params = module.params
    domains = wanted_domains(params)
    tags, purge = wanted_tags(module, "the certificate for " + domains[0])
    found = owned_certificates(client, domains[0], params["key_algorithm"], owner_tags_of(module))
    current, superseded = None, []
    for summary, found_tags in sorted(found, key=lambda item: item[0].get("Status") != "ISSUED"):
        certificate = describe(client, summary["CertificateArn"])
        if current is None and domains_of(certificate) == domains:
            current = (certificate, found_tags)
        else:
            superseded.append(summary["CertificateArn"])
    after = {"domains": domains, "tags": dict(tags or {})}
    if current is None:
        arn = "" if module.check_mode else request(client, domains, params["key_algorithm"], tags)
        certificate = None if module.check_mode else describe(client, arn)
        return _returned(module, True, {}, after, arn, certificate, superseded)
    certificate, found_tags = current
    arn = certificate["CertificateArn"]
    changed, after_tags = ensure_tags(
        module, found_tags, tags, purge,
        lambda add: client.add_tags_to_certificate(aws_retry=True, CertificateArn=arn,
                                                   Tags=[{"Key": k, "Value": v} for k, v in add.items()]),
        lambda keys: client.remove_tags_from_certificate(aws_retry=True, CertificateArn=arn,
                                                         Tags=[{"Key": k} for k in keys]))
    before = {"domains": domains_of(certificate), "tags": found_tags}
    return _returned(module, changed, before, dict(after, tags=after_tags), arn, certificate, superseded)


def ensure_absent(module, client):
    params = module.params
    domain = wanted_domains(params)[0]
    found = owned_certificates(client, domain, params["key_algorithm"], owner_tags_of(module))
    if not module.check_mode:
        for summary, _tags in found:
            delete(client, summary["CertificateArn"])
    before = {"certificates": sorted(s["CertificateArn"] for s, _t in found)}
    return result(module, bool(found), before, {"certificates": []}, certificate_arn="", status="", domains=[],
                  validation_records=[], superseded_arns=[])


def main():
    argument_spec = dict(
        domain_name=dict(type="str", required=True),
        subject_alternative_names=dict(type="list", elements="str", default=[]),
        key_algorithm=dict(type="str", choices=["RSA_2048", "EC_prime256v1", "EC_secp384r1"], default="RSA_2048"),
        owner_tags=dict(type="dict", required=True),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not module.params["owner_tags"]:
        module.fail_json(msg="owner_tags is empty: without them any certificate of the domain would count as ours")
    if len(wanted_domains(module.params)) > 10:
        module.fail_json(msg="%d names: an ACM certificate holds at most 10 by default" % len(wanted_domains(module.params)))
    run_state(module, ensure_present, ensure_absent, aws_client(module, "acm"))


if __name__ == "__main__":
    main()
