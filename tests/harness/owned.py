"""What each AWS step owns in the emulator, counted from AWS itself, and its no-op read budget.

"Managed resource" = an AWS resource the step creates and would delete on teardown:
- iam: users, groups, roles, instance profiles, customer managed policies and virtual MFA devices
  under the step's IAM path, the access keys of those users, the roles' inline policies, and the
  account password policy when one is set.
- network: the VPC, subnets, route tables, internet and NAT gateways, security groups and VPC
  endpoints carrying the project's Project/Environment/ManagedBy tags.
- compute: the launch template and key pair carrying the project's tags, and the instances, data volumes
  and Elastic IPs that also carry a liftoff:host tag.
- alarms: the alarms under <project>-<env>- and the topic <project>-<env>-alarms carrying the project's tags
  and LiftoffRole=alarms, and the topic's subscriptions.
- guardrails: the trail <project>-<env>-audit, its log bucket and the bucket's policy, lifecycle rules, public
  access block, encryption and ownership settings (each its own S3 sub-resource with its own read), the log group
  and its metric filters, the trail's IAM role and its inline policy, the alarms under guardrails-<project>-<env>-,
  the topic and its subscriptions, the budget and its notifications, and the account defaults the role set (EBS
  encryption by default, the instance metadata defaults, the account's S3 public access block).
- dns: the public hosted zone named after liftoff_domain when it carries the project's tags and LiftoffRole=dns,
  and the record sets in it besides the apex SOA and NS (Route 53's own).
- preflight: none (it only asks STS who is calling).
The count is read back after a converge, never hard-coded, so adding a resource to a role moves it.
"""

from __future__ import annotations

import json

# The project's rule: a no-op run makes zero writes and at most two reads per managed resource.
READS_PER_RESOURCE_GOAL = 2
# What the roles reach today (bench/RESULTS.md says which upstream module costs what). A test fails
# above these, so no later change slides back; lower them as the roles get there, down to the goal.
READS_PER_RESOURCE_CEILING = {"iam": 2.0, "network": 2.0, "compute": 2.0, "alarms": 2.0, "autoscaling": 2.0,
                              "guardrails": 2.0, "dns": 2.0, "s3_site": 2.0,
                              "cdn": 2.0, "codedeploy": 2.0, "thumbnails": 2.0}
# preflight owns nothing: its budget is absolute (STS GetCallerIdentity + ListAccountAliases).
PREFLIGHT_READS_CEILING = 2


def iam_resources(emu, path: str) -> int:
    iam = emu.client("iam")

    def ours(items):
        return [i for i in items if i.get("Path") == path]  # moto ignores PathPrefix on some lists

    users = ours(iam.list_users()["Users"])
    roles = ours(iam.list_roles()["Roles"])
    count = len(users) + len(roles)
    count += len(ours(iam.list_groups()["Groups"]))
    count += len(ours(iam.list_instance_profiles()["InstanceProfiles"]))
    count += len(ours(iam.list_policies(Scope="Local")["Policies"]))
    count += sum(f":mfa{path}" in d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"])
    count += sum(len(iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]) for u in users)
    count += sum(len(iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]) for r in roles)
    # the CI's OIDC provider, when it carries the iam role's tag (IAM paths do not apply to providers)
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        tags = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"]).get("Tags", [])
        count += {"Key": "LiftoffRole", "Value": "iam"} in tags
    try:
        iam.get_account_password_policy()
        count += 1
    except iam.exceptions.NoSuchEntityException:
        pass
    return count


def network_resources(emu, tags: dict[str, str]) -> int:
    ec2 = emu.client("ec2")
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    count = len(ec2.describe_vpcs(Filters=filters)["Vpcs"])
    count += len(ec2.describe_subnets(Filters=filters)["Subnets"])
    count += len(ec2.describe_route_tables(Filters=filters)["RouteTables"])
    count += len(ec2.describe_internet_gateways(Filters=filters)["InternetGateways"])
    count += len(ec2.describe_security_groups(Filters=filters)["SecurityGroups"])
    count += len([e for e in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
                  if e["State"].lower() not in ("deleted", "deleting")])
    count += len(ec2.describe_nat_gateways(Filter=filters + [{"Name": "state", "Values": ["pending", "available"]}])
                 ["NatGateways"])
    return count


def compute_resources(emu, tags: dict[str, str]) -> int:
    """The ec2_host role's launch template and key pair, and per host its instance, data volume and Elastic IP."""
    ec2 = emu.client("ec2")
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    hosts = filters + [{"Name": "tag-key", "Values": ["liftoff:host"]}]
    count = len(ec2.describe_launch_templates(Filters=filters)["LaunchTemplates"])
    count += len(ec2.describe_key_pairs(Filters=filters)["KeyPairs"])
    count += sum(len(r["Instances"]) for r in ec2.describe_instances(
        Filters=hosts + [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
        ["Reservations"])
    count += len(ec2.describe_volumes(Filters=hosts + [{"Name": "tag:liftoff:purpose", "Values": ["data"]}])["Volumes"])
    count += len(ec2.describe_addresses(Filters=hosts)["Addresses"])
    return count


def _carries(wanted: dict[str, str]):
    """A test on a boto3 tag list ([{Key, Value}]): does it hold every one of ``wanted``?"""

    def ours(found) -> bool:
        found = {t["Key"]: t["Value"] for t in found}
        return all(found.get(k) == v for k, v in wanted.items())

    return ours


def alarms_resources(emu, prefix: str, tags: dict[str, str]) -> int:
    """Alarms under <prefix>- with the role's tags, its topic <prefix>-alarms and the topic's subscriptions."""
    cw, sns = emu.client("cloudwatch"), emu.client("sns")
    ours = _carries(dict(tags, LiftoffRole="alarms"))

    count = 0
    for page in cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix + "-"):
        count += sum(ours(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]) for a in page["MetricAlarms"])
    for topic in sns.list_topics()["Topics"]:
        arn = topic["TopicArn"]
        if arn.endswith(f":{prefix}-alarms") and ours(sns.list_tags_for_resource(ResourceArn=arn)["Tags"]):
            count += 1 + len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])
    return count


def autoscaling_resources(emu, prefix: str, tags: dict[str, str]) -> int:
    """The autoscaling role's target group and load balancer (<prefix>-web) with their listeners, the group
    <prefix> with its scaling policies, and the agent's SSM parameter, each only when it carries the role's tags."""
    elb, asg, ssm = emu.client("elbv2"), emu.client("autoscaling"), emu.client("ssm")
    ours = _carries(dict(tags, LiftoffRole="autoscaling"))

    count = 0
    for kind, key in (("target_groups", "TargetGroup"), ("load_balancers", "LoadBalancer")):
        items = [i for i in getattr(elb, "describe_" + kind)()[kind.title().replace("_", "")] if i[key + "Name"] == prefix + "-web"]
        for item in items:
            arn = item[key + "Arn"]
            if ours(elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]):
                count += 1 + (len(elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]) if kind == "load_balancers" else 0)
    for group in asg.describe_auto_scaling_groups(AutoScalingGroupNames=[prefix])["AutoScalingGroups"]:
        if ours(group.get("Tags", [])):
            count += 1 + len(asg.describe_policies(AutoScalingGroupName=prefix)["ScalingPolicies"])
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"AmazonCloudWatch-{prefix}"]}])
    for parameter in found["Parameters"]:
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=parameter["Name"])["TagList"]
        count += ours(tags)
    return count


def guardrails_resources(emu, prefix: str, tags: dict[str, str], account: str = "123456789012") -> int:
    """What liftoff.aws.guardrails made, read back; the account defaults count when they are not AWS's own."""
    import botocore.exceptions  # pylint: disable=import-outside-toplevel

    ours = _carries(dict(tags, LiftoffRole="guardrails"))
    s3, logs, cw, sns = emu.client("s3"), emu.client("logs"), emu.client("cloudwatch"), emu.client("sns")
    trail, iam, ec2 = emu.client("cloudtrail"), emu.client("iam"), emu.client("ec2")
    budgets, s3control = emu.client("budgets", region="us-east-1"), emu.client("s3control")
    count = 0
    for found in trail.describe_trails(trailNameList=[f"{prefix}-audit"])["trailList"]:
        count += ours(trail.list_tags(ResourceIdList=[found["TrailARN"]])["ResourceTagList"][0]["TagsList"])
    bucket = f"{prefix}-trail-{account}"
    if bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]} and ours(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]):
        count += 6  # the bucket, its policy, lifecycle, public access block, encryption, ownership controls
    for group in logs.describe_log_groups(logGroupNamePrefix=f"/liftoff/{prefix}/cloudtrail")["logGroups"]:
        if all(logs.list_tags_log_group(logGroupName=group["logGroupName"])["tags"].get(k) == v
               for k, v in dict(tags, LiftoffRole="guardrails").items()):
            count += 1 + len(logs.describe_metric_filters(logGroupName=group["logGroupName"])["metricFilters"])
    try:
        role = iam.get_role(RoleName=f"{prefix}-cloudtrail-logs")["Role"]
        if ours(role.get("Tags", [])):
            count += 1 + len(iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"])
    except iam.exceptions.NoSuchEntityException:
        pass
    for page in cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"guardrails-{prefix}-"):
        count += sum(ours(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]) for a in page["MetricAlarms"])
    for topic in sns.list_topics()["Topics"]:
        arn = topic["TopicArn"]
        if arn.endswith(f":guardrails-{prefix}") and ours(sns.list_tags_for_resource(ResourceArn=arn)["Tags"]):
            count += 1 + len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])
    for budget in budgets.describe_budgets(AccountId=account).get("Budgets", []):
        if budget["BudgetName"] == f"{prefix}-monthly":
            count += 1 + len(budgets.describe_notifications_for_budget(
                AccountId=account, BudgetName=budget["BudgetName"])["Notifications"])
    count += bool(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"])
    count += bool(ec2.get_instance_metadata_defaults().get("AccountLevel"))
    try:
        count += bool(s3control.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"])
    except botocore.exceptions.ClientError:
        pass
    return count


def dns_resources(emu, zone: str, tags: dict[str, str]) -> int:
    """The dns role's zone (when it made it) and the record sets in it, the apex SOA and NS aside."""
    r53 = emu.client("route53", region="us-east-1")
    name = zone.rstrip(".") + "."
    count = 0
    for found in r53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]:
        if found["Name"] != name or found.get("Config", {}).get("PrivateZone"):
            continue
        zone_id = found["Id"].split("/")[-1]
        zone_tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)["ResourceTagSet"]["Tags"]
        if not _carries(dict(tags, LiftoffRole="dns"))(zone_tags):
            continue
        pages = r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
        sets = [r for page in pages for r in page["ResourceRecordSets"]]
        count += 1 + sum(1 for r in sets if not (r["Name"] == name and r["Type"] in ("SOA", "NS")))
    return count


def s3_site_resources(emu, prefix: str, tags: dict[str, str], role: str = "s3_site") -> int:
    """The role's buckets (tagged LiftoffRole=<role>, s3_site's by default): each bucket, each setting it holds (public access
    block, ownership controls, encryption, policy, lifecycle, versioning, access logging) and each object in it."""
    import botocore.exceptions  # pylint: disable=import-outside-toplevel

    s3 = emu.client("s3")
    ours = _carries(dict(tags, LiftoffRole=role))
    count = 0
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(prefix + "-")):
        try:
            if not ours(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]):
                continue
        except botocore.exceptions.ClientError:
            continue
        count += 1
        for read in (s3.get_public_access_block, s3.get_bucket_ownership_controls, s3.get_bucket_encryption,
                     s3.get_bucket_policy, s3.get_bucket_lifecycle_configuration):
            try:
                read(Bucket=bucket)
                count += 1
            except botocore.exceptions.ClientError:
                pass
        count += s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
        count += "LoggingEnabled" in s3.get_bucket_logging(Bucket=bucket)
        count += sum(len(page.get("Contents", [])) for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
    return count


def cdn_resources(emu, prefix: str, tags: dict[str, str]) -> int:
    """The cdn role's certificates and distributions (tagged LiftoffRole=cdn), its origin access control and its
    index function (by name: neither takes tags). The site's records are counted with the zone (dns_resources)."""
    ours = _carries(dict(tags, LiftoffRole="cdn"))
    acm, cf = emu.client("acm", region="us-east-1"), emu.client("cloudfront", region="us-east-1")
    count = sum(ours(acm.list_tags_for_certificate(CertificateArn=c["CertificateArn"]).get("Tags", []))
                for c in acm.list_certificates()["CertificateSummaryList"])
    for distribution in cf.list_distributions()["DistributionList"].get("Items", []):
        count += ours(cf.list_tags_for_resource(Resource=distribution["ARN"])["Tags"].get("Items", []))
    count += sum(c["Name"] == f"{prefix}-site" for c in cf.list_origin_access_controls()["OriginAccessControlList"].get(
        "Items") or [])
    count += sum(f["Name"] == f"{prefix}-site-index" for f in cf.list_functions()["FunctionList"].get("Items") or [])
    return count


def codedeploy_resources(emu, prefix: str, tags: dict[str, str]) -> int:
    """The codedeploy role's revision bucket (counted like s3_site's: the bucket, each setting it holds, each object),
    its application and its deployment groups, each tagged LiftoffRole=codedeploy."""
    ours = _carries(dict(tags, LiftoffRole="codedeploy"))
    codedeploy = emu.client("codedeploy")
    count = s3_site_resources(emu, prefix, tags, role="codedeploy")
    account = emu.client("sts").get_caller_identity()["Account"]
    region = codedeploy.meta.region_name
    for application in codedeploy.list_applications()["applications"]:
        arn = f"arn:aws:codedeploy:{region}:{account}:application:{application}"
        if not ours(codedeploy.list_tags_for_resource(ResourceArn=arn)["Tags"]):
            continue
        count += 1
        for group in codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"]:
            arn = f"arn:aws:codedeploy:{region}:{account}:deploymentgroup:{application}/{group}"
            count += ours(codedeploy.list_tags_for_resource(ResourceArn=arn)["Tags"])
    return count


def thumbnails_resources(emu, prefix: str, tags: dict[str, str]) -> int:
    """The thumbnails role's bucket (tagged LiftoffRole=thumbnails, counted like s3_site's), and by name its function,
    the function's S3 permission, its queue, its log group and each of its notifications on the upload bucket."""
    import botocore.exceptions  # pylint: disable=import-outside-toplevel

    count = s3_site_resources(emu, prefix, tags, role="thumbnails")
    name = f"{prefix}-thumbnails"
    lam = emu.client("lambda")
    try:
        lam.get_function(FunctionName=name)
        count += 1
        count += len(json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"])
    except botocore.exceptions.ClientError:
        pass
    count += sum(url.endswith("/" + name + "-failed") for url in emu.client("sqs").list_queues().get("QueueUrls", []))
    count += len(emu.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"])
    try:
        triggers = emu.client("s3").get_bucket_notification_configuration(Bucket=f"{prefix}-uploads")
        count += sum(t["Id"].startswith("liftoff-thumbnails") for t in triggers.get("LambdaFunctionConfigurations", []))
    except botocore.exceptions.ClientError:
        pass
    return count


def resources(emu, step: str, *, project: str = "liftoff-demo", env: str = "sandbox") -> int:
    if step == "iam":
        return iam_resources(emu, f"/liftoff/{project}/{env}/")
    if step == "network":
        return network_resources(emu, {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "alarms":
        return alarms_resources(emu, f"{project}-{env}", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "autoscaling":
        return autoscaling_resources(emu, f"{project}-{env}", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "guardrails":
        return guardrails_resources(emu, f"{project}-{env}", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "cdn":
        return cdn_resources(emu, f"{project}-{env}", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "s3_site":
        return s3_site_resources(emu, f"{project}-{env}", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "dns":
        return dns_resources(emu, "example.test", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "thumbnails":
        return thumbnails_resources(emu, f"{project}-{env}", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "codedeploy":
        return codedeploy_resources(emu, f"{project}-{env}", {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    if step == "compute":
        return compute_resources(emu, {"Project": project, "Environment": env, "ManagedBy": "liftoff"})
    return 0


def reads_per_resource(reads: int, owned: int) -> float | None:
    return round(reads / owned, 2) if owned else None
