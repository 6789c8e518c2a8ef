"""The emulator patch layer (tests/harness/moto_patches.py): each patch against the AWS behaviour it restores."""

from __future__ import annotations

import boto3
from moto import mock_aws

from tests.harness import moto_patches


def test_nat_gateway_tags_are_found_by_resource_type_natgateway():
    # AWS EC2 API reference, DescribeTags: resource-type filter values include "natgateway";
    # the TagDescription ResourceType enum (EC2 service model) spells it "natgateway".
    moto_patches.patch_natgateway_tag_resource_type()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "nat"}]}])["NatGateway"]["NatGatewayId"]
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [nat]},
                                          {"Name": "resource-type", "Values": ["natgateway"]}])["Tags"]
        assert tags == [{"Key": "Name", "ResourceId": nat, "ResourceType": "natgateway", "Value": "nat"}]
        # other resource types are untouched
        vpc_tags = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["vpc"]}])["Tags"]
        assert vpc_tags == []
        assert "natgateway" in ec2.meta.service_model.shape_for("ResourceType").enum


def test_iam_list_service_specific_credentials_answers_like_aws():
    # AWS IAM API reference, ListServiceSpecificCredentials: returns ServiceSpecificCredentials
    # (empty for a user without any) and NoSuchEntity for a user that does not exist.
    import pytest

    moto_patches.patch_iam_list_service_specific_credentials()
    with mock_aws():
        iam = boto3.client("iam", region_name="eu-west-1")
        iam.create_user(UserName="alice")
        assert iam.list_service_specific_credentials(UserName="alice")["ServiceSpecificCredentials"] == []
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.list_service_specific_credentials(UserName="nobody")
        iam.delete_user(UserName="alice")


def test_subnet_ipv6_association_state_is_the_state_string():
    # AWS EC2 API reference, SubnetCidrBlockState: State is one of associating | associated | ...
    moto_patches.patch_subnet_ipv6_association_state()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
        block = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"].replace("::/56", "::/64")
        subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.0.0/24", Ipv6CidrBlock=block)["Subnet"]
        [association] = ec2.describe_subnets(SubnetIds=[subnet["SubnetId"]])["Subnets"][0][
            "Ipv6CidrBlockAssociationSet"]
        assert association["Ipv6CidrBlock"] == block
        assert association["Ipv6CidrBlockState"] == {"State": "associated"}


def test_subnets_filter_by_ipv6_association():
    # AWS EC2 API reference, DescribeSubnets filters: ipv6-cidr-block-association.ipv6-cidr-block,
    # .association-id and .state.
    moto_patches.patch_subnet_ipv6_association_filters()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
        block = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"].replace("::/56", "::/64")
        plain = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        association = ec2.associate_subnet_cidr_block(SubnetId=subnet, Ipv6CidrBlock=block)[
            "Ipv6CidrBlockAssociation"]["AssociationId"]

        def ids(name, value):
            return [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": name, "Values": [value]}])["Subnets"]]

        assert ids("ipv6-cidr-block-association.ipv6-cidr-block", block) == [subnet]
        assert ids("ipv6-cidr-block-association.association-id", association) == [subnet]
        assert ids("ipv6-cidr-block-association.state", "associated") == [subnet]
        assert plain not in ids("ipv6-cidr-block-association.state", "associated")


def test_launch_template_tags_stay_out_of_the_version_data():
    # AWS EC2 API reference, CreateLaunchTemplate: TagSpecifications (resource type launch-template) tags
    # the template; LaunchTemplateData.TagSpecifications tags what its instances create, and only that is
    # returned as the version's LaunchTemplateData by DescribeLaunchTemplateVersions.
    moto_patches.patch_launch_template_version_data_tags()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        instance_tags = [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "app"}]}]
        ec2.create_launch_template(
            LaunchTemplateName="web", LaunchTemplateData={"InstanceType": "t3.small", "TagSpecifications": instance_tags},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Project", "Value": "p"}]}])
        ec2.create_launch_template(
            LaunchTemplateName="bare", LaunchTemplateData={"InstanceType": "t3.small"},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Project", "Value": "p"}]}])
        [web] = ec2.describe_launch_template_versions(LaunchTemplateName="web")["LaunchTemplateVersions"]
        assert web["LaunchTemplateData"] == {"InstanceType": "t3.small", "TagSpecifications": instance_tags}
        [bare] = ec2.describe_launch_template_versions(LaunchTemplateName="bare")["LaunchTemplateVersions"]
        assert bare["LaunchTemplateData"] == {"InstanceType": "t3.small"}
        # the template itself keeps its tags
        [template] = ec2.describe_launch_templates(LaunchTemplateNames=["web"])["LaunchTemplates"]
        assert template["Tags"] == [{"Key": "Project", "Value": "p"}]


def test_a_volume_reports_its_snapshot_and_multi_attach_like_aws():
    # AWS EC2 API reference, Volume: SnapshotId is "" for a volume not made from a snapshot, MultiAttachEnabled
    # is false unless asked for; DescribeVolumes returns both for every volume.
    moto_patches.patch_volume_snapshot_id_and_multi_attach()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        blank = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=1)["VolumeId"]
        snapshot = ec2.create_snapshot(VolumeId=blank)["SnapshotId"]
        restored = ec2.create_volume(AvailabilityZone="eu-west-1a", SnapshotId=snapshot)["VolumeId"]
        shared = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=4, VolumeType="io2", Iops=100,
                                   MultiAttachEnabled=True)["VolumeId"]
        found = {v["VolumeId"]: v for v in ec2.describe_volumes()["Volumes"]}
        assert (found[blank]["SnapshotId"], found[blank]["MultiAttachEnabled"]) == ("", False)
        assert found[restored]["SnapshotId"] == snapshot
        assert found[shared]["MultiAttachEnabled"] is True


def test_launch_template_versions_are_deleted_but_never_the_default():
    # AWS EC2 API reference, DeleteLaunchTemplateVersions: the given versions are deleted; the default version
    # and a missing one come back in UnsuccessfullyDeletedLaunchTemplateVersions with their error codes.
    moto_patches.patch_delete_launch_template_versions()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        template = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"InstanceType": "t3.small"})
        template_id = template["LaunchTemplate"]["LaunchTemplateId"]
        ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"InstanceType": "t3.large"})
        answer = ec2.delete_launch_template_versions(LaunchTemplateId=template_id, Versions=["1", "2", "7"])
        assert [v["VersionNumber"] for v in answer["SuccessfullyDeletedLaunchTemplateVersions"]] == [2]
        assert {v["VersionNumber"]: v["ResponseError"]["Code"]
                for v in answer["UnsuccessfullyDeletedLaunchTemplateVersions"]} == {
            1: "launchTemplateVersionIsDefaultVersion", 7: "launchTemplateVersionDoesNotExist"}
        versions = ec2.describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"]
        assert [v["VersionNumber"] for v in versions] == [1]


def test_instances_from_a_template_run_with_its_instance_profile():
    # AWS EC2 API reference, RequestLaunchTemplateData.IamInstanceProfile: instances launched from the template
    # get the profile; DescribeIamInstanceProfileAssociations lists each instance's association.
    moto_patches.patch_launch_template_instance_profile()
    with mock_aws():
        iam = boto3.client("iam", region_name="eu-west-1")
        profile = iam.create_instance_profile(InstanceProfileName="app")["InstanceProfile"]["Arn"]
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={
            "ImageId": image, "IamInstanceProfile": {"Arn": profile}})
        ec2.create_launch_template(LaunchTemplateName="bare", LaunchTemplateData={"ImageId": image})
        launched = ec2.run_instances(MinCount=2, MaxCount=2, LaunchTemplate={"LaunchTemplateName": "web"})["Instances"]
        [bare] = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "bare"})["Instances"]
        associations = ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
        assert sorted(a["InstanceId"] for a in associations) == sorted(i["InstanceId"] for i in launched)
        assert {a["IamInstanceProfile"]["Arn"] for a in associations} == {profile}
        assert bare["InstanceId"] not in {a["InstanceId"] for a in associations}


def test_an_instance_refresh_is_recorded_and_a_second_one_refused_while_it_runs():
    # AWS EC2 Auto Scaling API reference, StartInstanceRefresh / DescribeInstanceRefreshes: the refresh gets an ID,
    # is listed for its group with its preferences and status Pending, and another start fails with
    # InstanceRefreshInProgress while it is Pending or InProgress.
    import pytest
    from botocore.exceptions import ClientError

    moto_patches.patch_instance_refresh()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"ImageId": image})
        asg = boto3.client("autoscaling", region_name="eu-west-1")
        asg.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=1, MaxSize=2, AvailabilityZones=["eu-west-1a"],
                                      LaunchTemplate={"LaunchTemplateName": "web", "Version": "1"})
        started = asg.start_instance_refresh(AutoScalingGroupName="web", Strategy="Rolling",
                                             Preferences={"MinHealthyPercentage": 90, "SkipMatching": True})
        [refresh] = asg.describe_instance_refreshes(AutoScalingGroupName="web")["InstanceRefreshes"]
        assert refresh["InstanceRefreshId"] == started["InstanceRefreshId"]
        assert refresh["Status"] == "Pending"
        assert refresh["Preferences"]["MinHealthyPercentage"] == 90 and refresh["Preferences"]["SkipMatching"] is True
        with pytest.raises(ClientError, match="InstanceRefreshInProgress"):
            asg.start_instance_refresh(AutoScalingGroupName="web")
        assert asg.describe_instance_refreshes(AutoScalingGroupName="other")["InstanceRefreshes"] == []


def test_an_application_load_balancer_lists_its_default_attributes():
    # AWS ELB API reference, LoadBalancerAttribute / ALB user guide "Load balancer attributes": a new application
    # load balancer reports idle_timeout.timeout_seconds 60, routing.http2.enabled true, and the other defaults.
    moto_patches.patch_application_load_balancer_default_attributes()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"eu-west-1{z}")
                   ["Subnet"]["SubnetId"] for n, z in enumerate("ab")]
        elb = boto3.client("elbv2", region_name="eu-west-1")
        arn = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        found = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        assert found["idle_timeout.timeout_seconds"] == "60"
        assert found["routing.http2.enabled"] == "true"
        assert found["routing.http.drop_invalid_header_fields.enabled"] == "false"
        elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
            {"Key": "idle_timeout.timeout_seconds", "Value": "30"}])
        found = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        assert found["idle_timeout.timeout_seconds"] == "30"


def test_instance_metadata_defaults_are_set_cleared_and_kept_per_region():
    # AWS EC2 API reference, ModifyInstanceMetadataDefaults: sets the given account-level defaults of the region, leaves
    # the others, clears one given as no-preference (-1 for HttpPutResponseHopLimit, else 1 to 64), returns Return true.
    # GetInstanceMetadataDefaults: AccountLevel holds only the defaults that are set.
    import pytest
    from botocore.exceptions import ClientError

    moto_patches.patch_instance_metadata_defaults()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {}
        assert ec2.modify_instance_metadata_defaults(HttpTokens="required", HttpPutResponseHopLimit=2)["Return"] is True
        assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}
        # another region of the same account has its own defaults
        assert boto3.client("ec2", region_name="us-east-1").get_instance_metadata_defaults()["AccountLevel"] == {}
        # a parameter left out is kept; -1 and no-preference clear theirs
        ec2.modify_instance_metadata_defaults(InstanceMetadataTags="enabled")
        ec2.modify_instance_metadata_defaults(HttpPutResponseHopLimit=-1)
        assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {"HttpTokens": "required",
                                                                        "InstanceMetadataTags": "enabled"}
        ec2.modify_instance_metadata_defaults(HttpTokens="no-preference", InstanceMetadataTags="no-preference")
        assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {}
        with pytest.raises(ClientError, match="InvalidParameterValue"):
            ec2.modify_instance_metadata_defaults(HttpPutResponseHopLimit=65)
        with pytest.raises(ClientError, match="DryRunOperation"):
            ec2.modify_instance_metadata_defaults(HttpTokens="optional", DryRun=True)
        assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {}


def test_a_budget_is_updated_and_its_subscribers_listed_added_and_removed():
    # AWS Budgets API reference: UpdateBudget replaces the definition; DescribeSubscribersForNotification lists the
    # subscribers of the matching notification; CreateSubscriber refuses a duplicate (DuplicateRecordException);
    # DeleteSubscriber removes one; a notification that does not exist is NotFoundException.
    import pytest
    from botocore.exceptions import ClientError

    moto_patches.patch_budget_updates_and_subscribers()
    with mock_aws():
        budgets = boto3.client("budgets", region_name="us-east-1")
        account = "123456789012"
        budget = {"BudgetName": "b", "BudgetLimit": {"Amount": "50", "Unit": "USD"}, "TimeUnit": "MONTHLY",
                  "BudgetType": "COST"}
        note = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80,
                "ThresholdType": "PERCENTAGE"}
        mail = {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}
        budgets.create_budget(AccountId=account, Budget=budget,
                              NotificationsWithSubscribers=[{"Notification": note, "Subscribers": [mail]}])
        budgets.update_budget(AccountId=account, NewBudget=dict(budget, BudgetLimit={"Amount": "80", "Unit": "USD"}))
        assert budgets.describe_budget(AccountId=account, BudgetName="b")["Budget"]["BudgetLimit"]["Amount"] == "80"
        listed = budgets.describe_subscribers_for_notification(AccountId=account, BudgetName="b",
                                                               Notification=dict(note, Threshold=80.0))
        assert listed["Subscribers"] == [mail]
        other = {"SubscriptionType": "EMAIL", "Address": "oncall@example.com"}
        budgets.create_subscriber(AccountId=account, BudgetName="b", Notification=note, Subscriber=other)
        with pytest.raises(ClientError, match="DuplicateRecordException"):
            budgets.create_subscriber(AccountId=account, BudgetName="b", Notification=note, Subscriber=other)
        budgets.delete_subscriber(AccountId=account, BudgetName="b", Notification=note, Subscriber=mail)
        assert budgets.describe_subscribers_for_notification(
            AccountId=account, BudgetName="b", Notification=note)["Subscribers"] == [other]
        with pytest.raises(ClientError, match="NotFoundException"):
            budgets.describe_subscribers_for_notification(AccountId=account, BudgetName="b",
                                                          Notification=dict(note, Threshold=100))
        with pytest.raises(ClientError, match="NotFoundException"):
            budgets.update_budget(AccountId=account, NewBudget=dict(budget, BudgetName="nope"))


def test_describe_trails_answers_only_the_trails_named_and_delete_takes_an_arn():
    # AWS CloudTrail API reference: DescribeTrails with trailNameList returns only those trails (by name or ARN);
    # DeleteTrail takes the trail's name or ARN, TrailNotFoundException for one that does not exist.
    import pytest
    from botocore.exceptions import ClientError

    moto_patches.patch_describe_trails_name_list()
    moto_patches.patch_delete_trail_by_arn()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="trail-log-files")
        trail = boto3.client("cloudtrail", region_name="us-east-1")
        first = trail.create_trail(Name="first", S3BucketName="trail-log-files")["TrailARN"]
        trail.create_trail(Name="second", S3BucketName="trail-log-files")
        assert [t["Name"] for t in trail.describe_trails(trailNameList=["second"])["trailList"]] == ["second"]
        assert [t["Name"] for t in trail.describe_trails(trailNameList=[first])["trailList"]] == ["first"]
        assert sorted(t["Name"] for t in trail.describe_trails()["trailList"]) == ["first", "second"]
        trail.delete_trail(Name=first)
        assert [t["Name"] for t in trail.describe_trails()["trailList"]] == ["second"]
        with pytest.raises(ClientError, match="TrailNotFoundException"):
            trail.delete_trail(Name=first)


def test_a_bucket_policy_statement_whose_condition_is_unmet_does_not_apply():
    # AWS IAM user guide, "IAM JSON policy elements: Condition" and "Policy evaluation logic": a statement
    # applies only when its conditions are true. A TLS-only Deny must not refuse a request made over TLS,
    # and an unconditional Deny still refuses.
    import json

    import pytest

    moto_patches.patch_policy_statement_unmet_condition()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="tls-only")
        statement = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
        s3.put_object(Bucket="tls-only", Key="index.html", Body=b"hello")
        assert s3.get_object(Bucket="tls-only", Key="index.html")["Body"].read() == b"hello"
        statement.pop("Condition")
        s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
        with pytest.raises(s3.exceptions.ClientError):
            s3.put_object(Bucket="tls-only", Key="other.html", Body=b"no")


def test_access_logging_to_a_bucket_whose_policy_also_denies_plain_http():
    # AWS S3 user guide, "Enabling Amazon S3 server access logging": the target bucket's policy grants s3:PutObject
    # to logging.s3.amazonaws.com; its other statements (here the TLS-only Deny, Principal "*") do not matter.
    import json

    import pytest

    moto_patches.patch_logging_target_policy_with_string_principal()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("demo-site", "demo-logs"):
            s3.create_bucket(Bucket=bucket)
        tls = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
               "Resource": ["arn:aws:s3:::demo-logs", "arn:aws:s3:::demo-logs/*"],
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        grant = {"Sid": "AccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
                 "Action": "s3:PutObject", "Resource": "arn:aws:s3:::demo-logs/s3/site/*"}
        s3.put_bucket_policy(Bucket="demo-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls]}))
        status = {"LoggingEnabled": {"TargetBucket": "demo-logs", "TargetPrefix": "s3/site/"}}
        with pytest.raises(s3.exceptions.ClientError, match="InvalidTargetBucketForLogging"):
            s3.put_bucket_logging(Bucket="demo-site", BucketLoggingStatus=status)
        s3.put_bucket_policy(Bucket="demo-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls, grant]}))
        s3.put_bucket_logging(Bucket="demo-site", BucketLoggingStatus=status)
        assert s3.get_bucket_logging(Bucket="demo-site")["LoggingEnabled"]["TargetPrefix"] == "s3/site/"


def test_a_distribution_reads_back_its_origin_access_control_function_and_certificate():
    # AWS CloudFront API reference (Origin, DefaultCacheBehavior, ViewerCertificate): GetDistributionConfig answers
    # the origin's S3OriginConfig and OriginAccessControlId, the behavior's FunctionAssociations, and an ACM
    # certificate as CloudFrontDefaultCertificate false, CertificateSource acm.
    moto_patches.patch_cloudfront_distribution_config_round_trip()
    function = "arn:aws:cloudfront::123456789012:function/index"
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    with mock_aws():
        cf = boto3.client("cloudfront", region_name="us-east-1")
        config = {
            "CallerReference": "x", "Comment": "site", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.eu-west-1.amazonaws.com",
                                                  "S3OriginConfig": {"OriginAccessIdentity": ""},
                                                  "OriginAccessControlId": "E2OAC"}]},
            "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                                     "FunctionAssociations": {"Quantity": 1, "Items": [
                                         {"FunctionARN": function, "EventType": "viewer-request"}]}},
            "ViewerCertificate": {"ACMCertificateArn": certificate, "SSLSupportMethod": "sni-only",
                                  "MinimumProtocolVersion": "TLSv1.2_2021"},
        }
        made = cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
        got = cf.get_distribution_config(Id=made)["DistributionConfig"]
        origin = got["Origins"]["Items"][0]
        assert origin["OriginAccessControlId"] == "E2OAC" and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
        assert got["DefaultCacheBehavior"]["FunctionAssociations"]["Items"] == [
            {"FunctionARN": function, "EventType": "viewer-request"}]
        assert (got["ViewerCertificate"]["CloudFrontDefaultCertificate"], got["ViewerCertificate"]["CertificateSource"],
                got["ViewerCertificate"]["ACMCertificateArn"]) == (False, "acm", certificate)
        # a distribution on the default certificate still says so
        config["CallerReference"] = "y"
        config["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}
        other = cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
        assert cf.get_distribution_config(Id=other)["DistributionConfig"]["ViewerCertificate"][
            "CloudFrontDefaultCertificate"] is True


def test_a_cloudfront_function_is_updated_then_published():
    # AWS CloudFront API reference, UpdateFunction (new code and config, a new ETag, status UNPUBLISHED) and
    # PublishFunction (DEVELOPMENT copied to LIVE, status UNASSOCIATED until a distribution uses it).
    moto_patches.patch_cloudfront_function_update_and_publish()
    with mock_aws():
        cf = boto3.client("cloudfront", region_name="us-east-1")
        made = cf.create_function(Name="index", FunctionConfig={"Comment": "v1", "Runtime": "cloudfront-js-2.0"},
                                  FunctionCode=b"function handler(event) { return event.request; }")
        updated = cf.update_function(Name="index", IfMatch=made["ETag"], FunctionCode=b"// v2",
                                     FunctionConfig={"Comment": "v2", "Runtime": "cloudfront-js-2.0"})
        assert updated["ETag"] != made["ETag"] and updated["FunctionSummary"]["Status"] == "UNPUBLISHED"
        assert cf.get_function(Name="index")["FunctionCode"].read() == b"// v2"
        published = cf.publish_function(Name="index", IfMatch=updated["ETag"])
        assert published["FunctionSummary"]["Status"] == "UNASSOCIATED"
        assert cf.describe_function(Name="index")["FunctionSummary"]["FunctionConfig"]["Comment"] == "v2"


def test_codedeploy_groups_update_delete_and_read_back_like_aws():
    # AWS CodeDeploy API reference: UpdateDeploymentGroup changes the given fields of currentDeploymentGroupName;
    # DeleteDeploymentGroup and DeleteApplication (which takes its groups with it) delete; DeploymentGroupInfo has
    # alarmConfiguration as set and autoScalingGroups as AutoScalingGroup objects (name, hook).
    moto_patches.patch_codedeploy_deployment_groups()
    with mock_aws():
        codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
        codedeploy.create_application(applicationName="app", computePlatform="Server")
        alarms = {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "web-5xx"}]}
        codedeploy.create_deployment_group(applicationName="app", deploymentGroupName="web", serviceRoleArn="arn:aws:iam::1:role/r",
                                           autoScalingGroups=["web-asg"], alarmConfiguration=alarms)
        group = codedeploy.get_deployment_group(applicationName="app", deploymentGroupName="web")["deploymentGroupInfo"]
        assert group["alarmConfiguration"] == alarms
        assert [g["name"] for g in group["autoScalingGroups"]] == ["web-asg"] and group["autoScalingGroups"][0]["hook"]

        answer = codedeploy.update_deployment_group(applicationName="app", currentDeploymentGroupName="web",
                                                    autoScalingGroups=[], deploymentConfigName="CodeDeployDefault.AllAtOnce")
        assert answer["hooksNotCleanedUp"] == []
        group = codedeploy.get_deployment_group(applicationName="app", deploymentGroupName="web")["deploymentGroupInfo"]
        assert group["autoScalingGroups"] == [] and group["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"
        assert group["alarmConfiguration"] == alarms  # a field not given stays

        codedeploy.delete_deployment_group(applicationName="app", deploymentGroupName="web")
        assert codedeploy.list_deployment_groups(applicationName="app")["deploymentGroups"] == []
        codedeploy.create_deployment_group(applicationName="app", deploymentGroupName="web", serviceRoleArn="arn:aws:iam::1:role/r")
        codedeploy.delete_application(applicationName="app")
        assert codedeploy.list_applications()["applications"] == []
        codedeploy.create_application(applicationName="app", computePlatform="Server")
        assert codedeploy.list_deployment_groups(applicationName="app")["deploymentGroups"] == []


def test_s3_notification_filter_rules_in_any_case_and_empty_read_back_as_aws_spells_them():
    # AWS S3 API reference, FilterRule: names prefix/suffix, matched without regard to case; GetBucketNotification-
    # Configuration answers Prefix/Suffix; an empty value matches every key.
    moto_patches.patch_s3_notification_filter_rule_names()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="uploads")
        queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="q")["QueueUrl"]
        arn = "arn:aws:sqs:us-east-1:123456789012:q"
        assert queue
        rules = [{"Name": "Prefix", "Value": ""}, {"Name": "suffix", "Value": ".jpg"}]
        s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={"QueueConfigurations": [
            {"Id": "jpg", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": rules}}}]})
        (config,) = s3.get_bucket_notification_configuration(Bucket="uploads")["QueueConfigurations"]
        assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": ""}, {"Name": "Suffix", "Value": ".jpg"}]


def test_lambda_keeps_and_answers_the_dead_letter_config():
    # AWS Lambda API reference: CreateFunction and UpdateFunctionConfiguration take DeadLetterConfig (TargetArn);
    # FunctionConfiguration answers it.
    import io
    import json
    import zipfile

    moto_patches.patch_lambda_dead_letter_config()
    with mock_aws():
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
        lam = boto3.client("lambda", region_name="us-east-1")
        first, second = "arn:aws:sqs:us-east-1:123456789012:failed", "arn:aws:sqs:us-east-1:123456789012:other"
        lam.create_function(FunctionName="fn", Runtime="python3.12", Role=role, Handler="handler.handler",
                            Code={"ZipFile": package.getvalue()}, DeadLetterConfig={"TargetArn": first})
        assert lam.get_function(FunctionName="fn")["Configuration"]["DeadLetterConfig"] == {"TargetArn": first}
        lam.update_function_configuration(FunctionName="fn", DeadLetterConfig={"TargetArn": second})
        assert lam.get_function_configuration(FunctionName="fn")["DeadLetterConfig"] == {"TargetArn": second}
