"""Role liftoff.aws.autoscaling against the emulator: the load balancer, target group, group and scaling policies
a user sees, a re-run that writes nothing, a new template version that reaches the group, and a teardown that
leaves what is not the role's."""

from __future__ import annotations

import datetime
import json

from tests.harness.owned import READS_PER_RESOURCE_CEILING, resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "autoscaling.yml"
PREFIX = "liftoff-demo-sandbox"
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
OUR_TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}


def _certificate(aws) -> str:
    """A self-signed certificate imported into ACM, as a user would bring one for the load balancer."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("shop.example.test")]), critical=False)
            .sign(key, hashes.SHA256()))
    return aws.client("acm").import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))["CertificateArn"]


def _setup(aws) -> dict:
    """What the network and ec2_host steps would have made: public and private subnets in two zones, the load
    balancer's and the web security groups, and the hosts' launch template."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = {kind: [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{base + n * 16}.0/20",
                                        AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"]
                      for n, z in enumerate("ab")] for kind, base in (("public", 0), ("private", 128))}
    alb = ec2.create_security_group(VpcId=vpc, GroupName=f"{PREFIX}-alb", Description="alb")["GroupId"]
    web = ec2.create_security_group(VpcId=vpc, GroupName=f"{PREFIX}-web", Description="web")["GroupId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    template = ec2.create_launch_template(LaunchTemplateName=f"{PREFIX}-web", LaunchTemplateData={
        "ImageId": image, "InstanceType": "t3.small",
        "NetworkInterfaces": [{"DeviceIndex": 0, "Groups": [web], "DeleteOnTermination": True}]})
    return {"vpc": vpc, "subnets": subnets, "alb": alb, "web": web, "image": image,
            "template": template["LaunchTemplate"]["LaunchTemplateId"]}


def _variables(net: dict, version: int = 1, **extra) -> dict:
    return {"autoscaling_vpc_id": net["vpc"], "autoscaling_subnet_ids": net["subnets"]["private"],
            "autoscaling_load_balancer_subnet_ids": net["subnets"]["public"],
            "autoscaling_load_balancer_security_group_ids": [net["alb"]],
            "autoscaling_launch_template_id": net["template"], "autoscaling_launch_template_version": version,
            "autoscaling_wait_for_instances": False, **extra}


def test_create_noop_new_version_teardown(playbook, aws):
    net = _setup(aws)
    certificate = _certificate(aws)
    variables = _variables(net, autoscaling_certificate_arn=certificate)
    elb, asg = aws.client("elbv2"), aws.client("autoscaling")

    # -- check mode on an empty account: predicts, writes nothing --------------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, env=ENV, check=True, diff=True, extra_vars=variables)
    assert result.rc == 0, str(result)
    assert result.changed > 0
    assert aws.writes() == [], aws.writes()
    assert f"Target group {PREFIX}-web would be created" in result.stdout

    # -- create --------------------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, env=ENV, extra_vars=variables)
    assert result.rc == 0, str(result)
    facts = result.facts("AUTOSCALING")
    [balancer] = elb.describe_load_balancers(Names=[f"{PREFIX}-web"])["LoadBalancers"]
    assert balancer["Scheme"] == "internet-facing"
    assert sorted(z["SubnetId"] for z in balancer["AvailabilityZones"]) == sorted(net["subnets"]["public"])
    assert balancer["SecurityGroups"] == [net["alb"]]
    assert facts["dns_name"] == balancer["DNSName"] and facts["load_balancer_arn"] == balancer["LoadBalancerArn"]
    assert facts["load_balancer_arn_suffix"].startswith(f"app/{PREFIX}-web/")
    listeners = {l["Port"]: l for l in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 443]
    [redirect] = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert (redirect["RedirectConfig"]["Protocol"], redirect["RedirectConfig"]["Port"],
            redirect["RedirectConfig"]["StatusCode"]) == ("HTTPS", "443", "HTTP_301")
    assert listeners[443]["Certificates"][0]["CertificateArn"] == certificate
    [forward] = listeners[443]["DefaultActions"]
    [group_tg] = elb.describe_target_groups(Names=[f"{PREFIX}-web"])["TargetGroups"]
    assert forward == {"Type": "forward", "TargetGroupArn": group_tg["TargetGroupArn"]} or (
        forward["Type"] == "forward" and forward.get("TargetGroupArn") == group_tg["TargetGroupArn"])
    assert (group_tg["Port"], group_tg["HealthCheckPath"], group_tg["Matcher"]["HttpCode"]) == (8080, "/healthz", "200-399")
    assert facts["target_group_arn_suffix"].startswith(f"targetgroup/{PREFIX}-web/")
    [group] = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[PREFIX])["AutoScalingGroups"]
    assert group["LaunchTemplate"]["LaunchTemplateId"] == net["template"]
    assert group["LaunchTemplate"]["Version"] == "1"  # pinned, not $Latest
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 3, 1)
    assert group["HealthCheckType"] == "ELB" and group["TargetGroupARNs"] == [group_tg["TargetGroupArn"]]
    assert sorted(group["VPCZoneIdentifier"].split(",")) == sorted(net["subnets"]["private"])
    tags = {t["Key"]: (t["Value"], t["PropagateAtLaunch"]) for t in group["Tags"]}
    assert tags["Project"] == ("liftoff-demo", True) and tags["LiftoffRole"] == ("autoscaling", True)
    policies = {p["PolicyName"]: p for p in asg.describe_policies(AutoScalingGroupName=PREFIX)["ScalingPolicies"]}
    assert sorted(policies) == [f"{PREFIX}-cpu", f"{PREFIX}-memory"]
    cpu = policies[f"{PREFIX}-cpu"]["TargetTrackingConfiguration"]
    assert cpu["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ASGAverageCPUUtilization"
    assert cpu["TargetValue"] == 50.0
    memory = policies[f"{PREFIX}-memory"]["TargetTrackingConfiguration"]["CustomizedMetricSpecification"]
    assert (memory["Namespace"], memory["MetricName"]) == ("CWAgent", "mem_used_percent")
    assert memory["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": PREFIX}]
    config = json.loads(aws.client("ssm").get_parameter(Name=f"AmazonCloudWatch-{PREFIX}")["Parameter"]["Value"])
    assert config["metrics"]["aggregation_dimensions"] == [["AutoScalingGroupName"]]
    assert "mem_used_percent" in config["metrics"]["metrics_collected"]["mem"]["measurement"]
    owned = resources(aws, "autoscaling")
    assert owned == 8  # target group, load balancer, 2 listeners, group, 2 policies, parameter

    # -- no-op: nothing changes, zero writes, at most 2 reads per resource -----------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, env=ENV, extra_vars=variables)
    assert result.rc == 0, str(result)
    assert result.changed == 0, str(result)
    assert aws.writes() == [], aws.writes()
    reads = len(aws.reads())
    assert reads <= READS_PER_RESOURCE_CEILING["autoscaling"] * owned, "\n".join(str(c) for c in aws.reads())
    print(f"no-op: {reads} reads for {owned} resources")
    assert result.facts("AUTOSCALING") == facts

    # -- check mode on the built group: nothing to predict -------------------------------------------------
    result = playbook(PLAYBOOK, env=ENV, check=True, extra_vars=variables)
    assert result.rc == 0 and result.changed == 0, str(result)

    # -- a scaled-out group keeps its size on a re-run (the policies own the desired capacity) ---------------
    asg.set_desired_capacity(AutoScalingGroupName=PREFIX, DesiredCapacity=2)
    aws.reset_calls()
    result = playbook(PLAYBOOK, env=ENV, extra_vars=variables)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=[PREFIX])["AutoScalingGroups"][0]["DesiredCapacity"] == 2

    # -- a new template version: the group moves to it and its instances are refreshed ----------------------
    ec2 = aws.client("ec2")
    ec2.create_launch_template_version(LaunchTemplateId=net["template"], SourceVersion="1",
                                       LaunchTemplateData={"InstanceType": "t3.medium"})
    aws.reset_calls()
    result = playbook(PLAYBOOK, env=ENV, extra_vars=_variables(net, version=2, autoscaling_certificate_arn=certificate))
    assert result.rc == 0, str(result)
    [group] = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[PREFIX])["AutoScalingGroups"]
    assert group["LaunchTemplate"]["Version"] == "2"
    assert "StartInstanceRefresh" in [c.operation for c in aws.writes()]
    # the emulator records the refresh (it does not replace instances, which only AWS can show)
    [refresh] = asg.describe_instance_refreshes(AutoScalingGroupName=PREFIX)["InstanceRefreshes"]
    assert refresh["Preferences"]["MinHealthyPercentage"] == 90 and refresh["Preferences"]["SkipMatching"] is True
    # a re-run while that refresh runs starts no second one
    aws.reset_calls()
    result = playbook(PLAYBOOK, env=ENV, extra_vars=_variables(net, version=2, autoscaling_certificate_arn=certificate))
    assert result.rc == 0 and result.changed == 0, str(result)
    assert aws.writes() == [], aws.writes()

    # -- teardown: everything the role made goes; a hand-made target group of another name stays ------------
    keep = elb.create_target_group(Name="hand-made", Protocol="HTTP", Port=80, VpcId=net["vpc"])["TargetGroups"][0]
    result = playbook(PLAYBOOK, env=ENV, extra_vars={**variables, "autoscaling_state": "absent"})
    assert result.rc == 0, str(result)
    assert resources(aws, "autoscaling") == 0
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=[PREFIX])["AutoScalingGroups"] == []
    assert [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]] == [keep["TargetGroupName"]]
    result = playbook(PLAYBOOK, env=ENV, extra_vars={**variables, "autoscaling_state": "absent"})
    assert result.rc == 0 and result.changed == 0, str(result)
