"""Role liftoff.aws.ec2_host against the emulator: hosts, data volumes and Elastic IPs as a user sees them in EC2."""

from __future__ import annotations

import base64
import re

from tests.harness.owned import READS_PER_RESOURCE_CEILING, resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "playbooks" / "compute.yml"
PREFIX = "liftoff-demo-sandbox"
OUR_TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}


def _tags(resource: dict) -> dict:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _ours(**extra) -> list[dict]:
    return [{"Name": f"tag:{k}", "Values": [v]} for k, v in OUR_TAGS.items()] + [
        {"Name": k, "Values": v} for k, v in extra.items()]


def _network(aws) -> dict:
    """What the network and iam steps would have made: two subnets in two zones, the web group, the profile."""
    ec2, iam = aws.client("ec2"), aws.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{n * 16}.0/20", AvailabilityZone=f"eu-west-1{z}")
               ["Subnet"]["SubnetId"] for n, z in enumerate("ab")]
    group = ec2.create_security_group(VpcId=vpc, GroupName=f"{PREFIX}-web", Description="web")["GroupId"]
    alb = ec2.create_security_group(VpcId=vpc, GroupName=f"{PREFIX}-alb", Description="alb")["GroupId"]
    iam.create_role(RoleName=f"{PREFIX}-app", AssumeRolePolicyDocument="{}", Path="/liftoff/liftoff-demo/sandbox/")
    iam.create_instance_profile(InstanceProfileName=f"{PREFIX}-app", Path="/liftoff/liftoff-demo/sandbox/")
    iam.add_role_to_instance_profile(InstanceProfileName=f"{PREFIX}-app", RoleName=f"{PREFIX}-app")
    return {"vpc": vpc, "subnets": subnets, "group": group, "alb": alb}


def _instances(ec2) -> dict[str, dict]:
    reservations = ec2.describe_instances(Filters=_ours(**{"instance-state-name": ["pending", "running"],
                                                           "tag-key": ["liftoff:host"]}))
    return {_tags(i)["liftoff:host"]: i for r in reservations["Reservations"] for i in r["Instances"]}


def test_create_noop_resize_teardown(playbook, aws):
    ec2 = aws.client("ec2")
    net = _network(aws)
    variables = {"ec2_host_subnet_ids": net["subnets"], "ec2_host_security_group_ids": [net["group"]],
                 # the step's auto scaling group and load balancer, in the same subnets (no instance runs the app
                 # here, so nothing could pass the health checks it would wait for)
                 "autoscaling_vpc_id": net["vpc"], "autoscaling_subnet_ids": net["subnets"],
                 "autoscaling_load_balancer_subnet_ids": net["subnets"],
                 "autoscaling_load_balancer_security_group_ids": [net["alb"]], "autoscaling_wait_for_instances": False}
    # Someone else's instance and volume in the same account, with our project tags but not our host tag.
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    foreign = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=net["subnets"][0], TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in OUR_TAGS.items()]}])
    foreign_id = foreign["Instances"][0]["InstanceId"]
    foreign_volume = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=1, TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"{PREFIX}-web-1-data"}]}])["VolumeId"]

    # -- check mode on an empty account: predicts, writes nothing ------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=variables)
    assert result.rc == 0, str(result)
    assert result.changed > 0
    assert aws.writes() == [], aws.writes()
    # the alarms play predicts the alarms of the hosts the run would launch instead of refusing their empty IDs
    assert "would be made from the new launch template" in result.stdout, result.stdout
    assert re.search(r"created: (\d+), updated: 0, deleted: 0", result.stdout), result.stdout
    assert int(re.search(r"created: (\d+),", result.stdout).group(1)) >= 8

    # -- create ---------------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, extra_vars=variables)
    assert result.rc == 0, str(result)
    hosts = _instances(ec2)
    assert sorted(hosts) == ["web-1", "web-2"]
    assert {h["Placement"]["AvailabilityZone"] for h in hosts.values()} == {"eu-west-1a", "eu-west-1b"}
    [template] = ec2.describe_launch_templates(LaunchTemplateNames=[f"{PREFIX}-web"])["LaunchTemplates"]
    assert OUR_TAGS.items() <= _tags(template).items()
    [version] = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"],
                                                      Versions=["$Latest"])["LaunchTemplateVersions"]
    data = version["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    [root] = data["BlockDeviceMappings"]
    assert root["Ebs"]["Encrypted"] is True and root["Ebs"]["VolumeType"] == "gp3"
    assert data["IamInstanceProfile"]["Arn"].endswith(f"instance-profile/liftoff/liftoff-demo/sandbox/{PREFIX}-app")
    assert data["NetworkInterfaces"] == [{"DeviceIndex": 0, "Groups": [net["group"]], "DeleteOnTermination": True}]
    assert data["InstanceType"] == "t3.small"
    assert base64.b64decode(data["UserData"]).decode().startswith("#cloud-config")
    [key] = ec2.describe_key_pairs(KeyNames=[f"{PREFIX}-admin"])["KeyPairs"]
    assert "liftoff:public-key-sha256" in _tags(key)
    for name, host in hosts.items():
        assert _tags(host)["Name"] == f"{PREFIX}-{name}" and _tags(host)["Role"] == "app"
        assert host["KeyName"] == f"{PREFIX}-admin"
        assert host["SecurityGroups"][0]["GroupId"] == net["group"]
        [volume] = ec2.describe_volumes(Filters=_ours(**{"tag:liftoff:host": [name], "tag:liftoff:purpose": ["data"]}))["Volumes"]
        assert (volume["Encrypted"], volume["Size"], volume["VolumeType"]) == (True, 20, "gp3")
        assert volume["Attachments"][0]["InstanceId"] == host["InstanceId"]
        assert volume["Attachments"][0]["Device"] == "/dev/sdf"
        [address] = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [host["InstanceId"]]}])["Addresses"]
        assert address["Domain"] == "vpc"
    assert len(ec2.describe_addresses()["Addresses"]) == 2
    profiles = ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    [group] = aws.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[PREFIX])["AutoScalingGroups"]
    group_instances = {i["InstanceId"] for i in group["Instances"]}
    assert len(group_instances) == 1  # the group's one instance, from the same template, with the same profile
    assert {a["InstanceId"] for a in profiles} == {h["InstanceId"] for h in hosts.values()} | group_instances
    owned = resources(aws, "compute")
    assert owned == 8  # template, key pair, 2 instances, 2 volumes, 2 addresses
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX + "-")["MetricAlarms"]
    assert {a["Dimensions"][0]["Value"] for a in alarms if a["Dimensions"][0]["Name"] == "InstanceId"} == {
        h["InstanceId"] for h in hosts.values()}
    # the group and its load balancer, published by the autoscaling play, get their alarms too
    assert {f"{PREFIX}-asg-cpu-high", f"{PREFIX}-alb-5xx", f"{PREFIX}-alb-unhealthy-hosts"} <= {
        a["AlarmName"] for a in alarms}, [a["AlarmName"] for a in alarms]
    owned += resources(aws, "alarms")  # the step's last play: 4 alarms per host, the group's, their topic
    owned += resources(aws, "autoscaling")  # load balancer, listener, target group, group, 2 policies, parameter
    assert (group["LaunchTemplate"]["LaunchTemplateId"], group["LaunchTemplate"]["Version"]) == (
        template["LaunchTemplateId"], "1")

    # -- no-op: nothing changes, zero writes, at most 2 reads per resource ----------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=variables)
    assert result.rc == 0, str(result)
    assert result.changed == 0, result
    assert aws.writes() == [], aws.writes()
    reads = len(aws.reads())
    assert reads <= min(READS_PER_RESOURCE_CEILING[step] for step in ("compute", "alarms", "autoscaling")) * owned, [
        str(c) for c in aws.reads()]
    print(f"no-op: {reads} reads for {owned} resources")
    addresses = {a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]}
    assert len(addresses) == 2  # reused, not allocated again

    # -- modify: a bigger type through a new template version, hosts resized in place -----------------
    result = playbook(PLAYBOOK, extra_vars={**variables, "ec2_host_instance_type": "t3.medium"})
    assert result.rc == 0, str(result)
    [template] = ec2.describe_launch_templates(LaunchTemplateNames=[f"{PREFIX}-web"])["LaunchTemplates"]
    assert template["LatestVersionNumber"] == 2 and template["DefaultVersionNumber"] == 2
    resized = _instances(ec2)
    assert {h["InstanceId"]: h["InstanceType"] for h in resized.values()} == {
        h["InstanceId"]: "t3.medium" for h in hosts.values()}
    assert {a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]} == addresses

    # -- teardown: addresses released, instances gone, data volumes kept, the foreign ones untouched --
    result = playbook(PLAYBOOK, extra_vars={**variables, "ec2_host_state": "absent", "alarms_state": "absent",
                                            "autoscaling_state": "absent"})
    assert result.rc == 0, str(result)
    assert _instances(ec2) == {}
    assert ec2.describe_addresses()["Addresses"] == []
    kept = ec2.describe_volumes(Filters=_ours(**{"tag:liftoff:purpose": ["data"]}))["Volumes"]
    assert sorted(v["State"] for v in kept) == ["available", "available"]
    assert "Kept (detached) data volumes" in result.stdout
    assert ec2.describe_launch_templates(Filters=_ours())["LaunchTemplates"] == []
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert resources(aws, "alarms") == 0 and resources(aws, "autoscaling") == 0
    [survivor] = [i for r in ec2.describe_instances(InstanceIds=[foreign_id])["Reservations"] for i in r["Instances"]]
    assert survivor["State"]["Name"] == "running"
    assert ec2.describe_volumes(VolumeIds=[foreign_volume])["Volumes"]

    result = playbook(PLAYBOOK, extra_vars={**variables, "ec2_host_state": "absent", "alarms_state": "absent",
                                            "autoscaling_state": "absent",
                                            "ec2_host_delete_data": True})
    assert result.rc == 0, str(result)
    assert ec2.describe_volumes(Filters=_ours(**{"tag:liftoff:purpose": ["data"]}))["Volumes"] == []
    assert ec2.describe_volumes(VolumeIds=[foreign_volume])["Volumes"]
