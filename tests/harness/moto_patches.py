"""A small, documented patch layer over moto, applied inside our moto_server process.

Each patch makes the emulator behave as AWS documents, where moto 5.2.x does not.
Every patch has a test in tests/unit/test_moto_patches.py that cites the AWS behaviour.
Roles are never bent to moto; when moto is wrong, it is corrected here or the path
is covered with botocore Stubber tests instead.
"""

from __future__ import annotations

import os

# Access key IDs that the emulator treats as the account root user's keys.
ROOT_KEYS_ENV = "LIFTOFF_MOTO_ROOT_ACCESS_KEYS"


def _root_access_keys() -> set[str]:
    return {k.strip() for k in os.environ.get(ROOT_KEYS_ENV, "").split(",") if k.strip()}


def patch_root_caller_identity() -> None:
    """Root credentials: STS GetCallerIdentity with the root user's access keys.

    AWS documents (STS API reference, GetCallerIdentity, and the IAM user guide,
    "AWS account root user") that a call signed with the root user's access keys
    returns Arn ``arn:aws:iam::<account>:root`` and UserId ``<account>``.
    moto has no notion of root access keys: every unknown key is reported as
    ``arn:aws:sts::<account>:user/moto``. We let the test bed name key IDs that
    stand for root keys (``LIFTOFF_MOTO_ROOT_ACCESS_KEYS``) and answer for them as AWS does.
    """
    from moto.sts.models import STSBackend

    original = STSBackend.get_caller_identity
    if getattr(original, "_liftoff_patched", False):
        return

    def get_caller_identity(self, access_key_id, region):  # type: ignore[no-untyped-def]
        if access_key_id in _root_access_keys():
            partition = "aws-cn" if region.startswith("cn-") else (
                "aws-us-gov" if region.startswith("us-gov-") else "aws")
            return self.account_id, f"arn:{partition}:iam::{self.account_id}:root", self.account_id
        return original(self, access_key_id, region)

    get_caller_identity._liftoff_patched = True  # type: ignore[attr-defined]
    STSBackend.get_caller_identity = get_caller_identity  # type: ignore[method-assign]


PATCHES = [patch_root_caller_identity]


def apply_all() -> None:
    for patch in PATCHES:
        patch()


def patch_natgateway_tag_resource_type() -> None:
    """DescribeTags: a NAT gateway's resource type is ``natgateway``.

    AWS documents (EC2 API reference, DescribeTags: filter ``resource-type``; TagDescription
    ``ResourceType``, whose enum in the EC2 service model lists ``natgateway``) the NAT gateway's
    tag resource type as ``natgateway``. moto 5.2.5 reports ``nat-gateway`` and matches the
    filter on that spelling only, so ``resource-type=natgateway`` (what
    amazon.aws.ec2_vpc_nat_gateway reads its tags back with) finds no tags, and every run
    re-tags an unchanged gateway (a CreateTags write on a no-op run). We accept and report
    AWS's spelling.
    """
    from moto.ec2.models.tags import TagBackend

    original = TagBackend.describe_tags
    if getattr(original, "_liftoff_patched", False):
        return

    def describe_tags(self, filters=None):  # type: ignore[no-untyped-def]
        if filters and "resource-type" in filters:
            filters = dict(filters)
            filters["resource-type"] = [
                "nat-gateway" if value == "natgateway" else value for value in filters["resource-type"]]
        results = original(self, filters)
        for result in results:
            if result.get("resource_type") == "nat-gateway":
                result["resource_type"] = "natgateway"
        return results

    describe_tags._liftoff_patched = True  # type: ignore[attr-defined]
    TagBackend.describe_tags = describe_tags  # type: ignore[method-assign]


PATCHES.append(patch_natgateway_tag_resource_type)


def patch_iam_list_service_specific_credentials() -> None:
    """IAM ListServiceSpecificCredentials: answer instead of failing with HTTP 500.

    AWS documents (IAM API reference, ListServiceSpecificCredentials) that the call returns the
    user's service-specific credentials (CodeCommit/Keyspaces passwords) - an empty
    ``ServiceSpecificCredentials`` list for a user that has none - and ``NoSuchEntity`` for an
    unknown user. moto 5.2.5 does not implement the action (HTTP 500), so amazon.aws.iam_user
    cannot delete any user (it lists these credentials first, as AWS requires them gone).
    moto cannot create such credentials either, so an empty list is exactly AWS's answer.
    """
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    if getattr(getattr(IamResponse, "list_service_specific_credentials", None), "_liftoff_patched", False):
        return

    def list_service_specific_credentials(self):  # type: ignore[no-untyped-def]
        user_name = self._get_param("UserName")
        if user_name:
            self.backend.get_user(user_name)  # NoSuchEntity for an unknown user, as AWS
        return ActionResult({"ServiceSpecificCredentials": []})

    list_service_specific_credentials._liftoff_patched = True  # type: ignore[attr-defined]
    IamResponse.list_service_specific_credentials = list_service_specific_credentials  # type: ignore[attr-defined]


PATCHES.append(patch_iam_list_service_specific_credentials)


def patch_subnet_ipv6_association_state() -> None:
    """DescribeSubnets: ``Ipv6CidrBlockAssociationSet[].Ipv6CidrBlockState.State`` is a string.

    AWS documents (EC2 API reference, SubnetIpv6CidrBlockAssociation and SubnetCidrBlockState)
    ``State`` as one of ``associating | associated | disassociating | disassociated | failing |
    failed``. moto 5.2.5 nests its whole state dict there, so clients read
    ``"{'State': 'associated'}"``; amazon.aws.ec2_vpc_subnet then sees no associated IPv6 block
    and tries to associate it again on every run. We report the state string.
    """
    from moto.ec2.models.subnets import Subnet

    original = Subnet.ipv6_cidr_block_association_set
    if getattr(original.fget, "_liftoff_patched", False):
        return

    def ipv6_cidr_block_association_set(self):  # type: ignore[no-untyped-def]
        return [
            {
                "ipv6CidrBlock": association["ipv6CidrBlock"],
                "associationId": association["associationId"],
                "ipv6CidrBlockState": {"state": association["ipv6CidrBlockState"]["State"]},
            }
            for association in self.ipv6_cidr_block_associations.values()
            if association["ipv6CidrBlockState"]["State"] == "associated"
        ]

    ipv6_cidr_block_association_set._liftoff_patched = True  # type: ignore[attr-defined]
    Subnet.ipv6_cidr_block_association_set = property(ipv6_cidr_block_association_set)  # type: ignore[method-assign]


PATCHES.append(patch_subnet_ipv6_association_state)


def patch_subnet_ipv6_association_filters() -> None:
    """DescribeSubnets: the ``ipv6-cidr-block-association.*`` filters.

    AWS documents (EC2 API reference, DescribeSubnets, Filters) ``ipv6-cidr-block-association.ipv6-cidr-block``,
    ``ipv6-cidr-block-association.association-id`` and ``ipv6-cidr-block-association.state``.
    moto 5.2.5 raises FilterNotImplementedError (HTTP 500) for them; amazon.aws.ec2_vpc_subnet uses
    them when it gives an existing subnet an IPv6 block. We match them against the subnet's associations.
    """
    from moto.ec2.models.subnets import Subnet

    original = Subnet.get_filter_value
    if getattr(original, "_liftoff_patched", False):
        return
    fields = {
        "ipv6-cidr-block-association.ipv6-cidr-block": lambda a: a["ipv6CidrBlock"],
        "ipv6-cidr-block-association.association-id": lambda a: a["associationId"],
        "ipv6-cidr-block-association.state": lambda a: a["ipv6CidrBlockState"]["State"],
    }

    def get_filter_value(self, filter_name, method_name=None):  # type: ignore[no-untyped-def]
        if filter_name in fields:
            return [fields[filter_name](a) for a in self.ipv6_cidr_block_associations.values()]
        return original(self, filter_name, method_name)

    get_filter_value._liftoff_patched = True  # type: ignore[attr-defined]
    Subnet.get_filter_value = get_filter_value  # type: ignore[method-assign]


PATCHES.append(patch_subnet_ipv6_association_filters)


def patch_launch_template_version_data_tags() -> None:
    """DescribeLaunchTemplateVersions: the template's own tags are not part of a version's data.

    AWS documents (EC2 API reference, CreateLaunchTemplate) two places for tags: ``TagSpecifications``
    of the request, which tags the launch template itself (resource type ``launch-template``), and
    ``LaunchTemplateData.TagSpecifications``, which tags what instances launched from it create.
    DescribeLaunchTemplateVersions returns only the latter in ``LaunchTemplateData``. moto 5.2.5 copies the
    template's own tags into the first version's data, so a client comparing its desired data with the
    latest version (amazon.aws.ec2_launch_template does) sees a difference and adds a version on every run.
    We drop the ``launch-template`` entries from a version's data, as AWS never holds them there.
    """
    from moto.ec2.models.launch_templates import LaunchTemplateVersion

    original = LaunchTemplateVersion.__init__
    if getattr(original, "_liftoff_patched", False):
        return

    def init(self, template, number, data, description):  # type: ignore[no-untyped-def]
        specs = data.get("TagSpecifications")
        if specs is not None:
            kept = [spec for spec in specs if spec.get("ResourceType") != "launch-template"]
            if kept:
                data["TagSpecifications"] = kept
            else:
                del data["TagSpecifications"]
        original(self, template, number, data, description)

    init._liftoff_patched = True  # type: ignore[attr-defined]
    LaunchTemplateVersion.__init__ = init  # type: ignore[method-assign]


PATCHES.append(patch_launch_template_version_data_tags)


def patch_volume_snapshot_id_and_multi_attach() -> None:
    """DescribeVolumes: every volume has ``SnapshotId`` and ``MultiAttachEnabled``.

    AWS returns both for every volume (EC2 API reference, Volume: ``SnapshotId``, "the snapshot from which the
    volume was created, if applicable", is an empty string for a volume made from nothing, and
    ``MultiAttachEnabled`` is false unless it was turned on). moto 5.2.5 leaves both out when they were not
    given on CreateVolume, and amazon.aws.ec2_vol_info fails on the missing key ('snapshot_id'). We give a
    new volume the values AWS reports.
    """
    from moto.ec2.models.elastic_block_store import Volume

    original = Volume.__init__
    if getattr(original, "_liftoff_patched", False):
        return

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        if self.snapshot_id is None:
            self.snapshot_id = ""
        if self.multi_attach_enabled is None:
            self.multi_attach_enabled = False

    init._liftoff_patched = True  # type: ignore[attr-defined]
    Volume.__init__ = init  # type: ignore[method-assign]


PATCHES.append(patch_volume_snapshot_id_and_multi_attach)


def patch_delete_launch_template_versions() -> None:
    """DeleteLaunchTemplateVersions: delete versions that are not the template's default.

    AWS documents (EC2 API reference, DeleteLaunchTemplateVersions) the call: the versions given are deleted,
    except the default version, which is reported in ``UnsuccessfullyDeletedLaunchTemplateVersions``
    (``launchTemplateVersionIsDefaultVersion``), as is a version that does not exist
    (``launchTemplateVersionDoesNotExist``). moto 5.2.5 does not implement it (HTTP 500), and
    amazon.aws.ec2_launch_template calls it before DeleteLaunchTemplate when a template has several versions.
    """
    from moto.core.responses import ActionResult
    from moto.ec2.responses.launch_templates import LaunchTemplates

    if getattr(getattr(LaunchTemplates, "delete_launch_template_versions", None), "_liftoff_patched", False):
        return

    def delete_launch_template_versions(self):  # type: ignore[no-untyped-def]
        name = self._get_param("LaunchTemplateName")
        template_id = self._get_param("LaunchTemplateId")
        self.error_on_dryrun()
        template = (self.ec2_backend.get_launch_template_by_name(name) if name
                    else self.ec2_backend.get_launch_template(template_id))
        done, failed = [], []
        for number in self._get_param("Versions", []):
            entry = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name, "VersionNumber": int(number)}
            match = [v for v in template.versions if v.number == int(number)]
            if not match:
                failed.append(dict(entry, ResponseError={"Code": "launchTemplateVersionDoesNotExist",
                                                         "Message": "Version does not exist"}))
            elif template.is_default(match[0]):
                failed.append(dict(entry, ResponseError={"Code": "launchTemplateVersionIsDefaultVersion",
                                                         "Message": "Cannot delete the default version"}))
            else:
                template.versions.remove(match[0])
                done.append(entry)
        return ActionResult({"SuccessfullyDeletedLaunchTemplateVersions": done,
                             "UnsuccessfullyDeletedLaunchTemplateVersions": failed})

    delete_launch_template_versions._liftoff_patched = True  # type: ignore[attr-defined]
    LaunchTemplates.delete_launch_template_versions = delete_launch_template_versions  # type: ignore[attr-defined]


PATCHES.append(patch_delete_launch_template_versions)


def patch_launch_template_instance_profile() -> None:
    """RunInstances from a launch template: the template's instance profile is associated with every instance.

    AWS documents (EC2 API reference, RequestLaunchTemplateData ``IamInstanceProfile``; and
    DescribeIamInstanceProfileAssociations) that an instance launched from a template holding an instance
    profile runs with that profile, and its association is listed like one made by AssociateIamInstanceProfile.
    moto 5.2.5 associates a profile only when RunInstances names it itself (and then only for the first instance),
    so a template's profile looks missing and a client that checks associations attaches it again. We associate the
    template's profile with each instance launched without one of its own.
    """
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances
    if getattr(original, "_liftoff_patched", False):
        return

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):  # type: ignore[no-untyped-def]
        reservation = original(self, image_id, count, user_data, security_group_names, **kwargs)
        template = kwargs.get("launch_template")
        if template and not (kwargs.get("iam_instance_profile_name") or kwargs.get("iam_instance_profile_arn")):
            profile = self._get_template_from_args(template).data.get("IamInstanceProfile") or {}
            for instance in reservation.instances:
                if profile and instance.id not in self.iam_instance_profile_associations:
                    self.associate_iam_instance_profile(instance_id=instance.id,
                                                        iam_instance_profile_name=profile.get("Name"),
                                                        iam_instance_profile_arn=profile.get("Arn"))
        return reservation

    run_instances._liftoff_patched = True  # type: ignore[attr-defined]
    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


PATCHES.append(patch_launch_template_instance_profile)


def patch_instance_refresh() -> None:
    """StartInstanceRefresh and DescribeInstanceRefreshes: a refresh is recorded and listed.

    AWS documents (EC2 Auto Scaling API reference, StartInstanceRefresh and DescribeInstanceRefreshes) that
    starting a refresh returns an ``InstanceRefreshId``, that the refresh is then listed for the group, newest
    first, with its ``Status`` (``Pending`` at first), ``Preferences`` and ``StartTime``, and that starting another
    while one is ``Pending`` or ``InProgress`` fails with ``InstanceRefreshInProgress``. moto 5.2.5 implements
    neither call. This patch records and lists refreshes; it does not replace instances, so a refresh stays
    ``Pending`` (what replacing instances does is not emulated, and the tests do not claim it).
    """
    import uuid

    from moto.autoscaling.responses import AutoScalingResponse
    from moto.autoscaling.exceptions import AutoscalingClientError
    from moto.core.responses import ActionResult
    from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow

    if getattr(getattr(AutoScalingResponse, "start_instance_refresh", None), "_liftoff_patched", False):
        return

    def _refreshes(backend):  # type: ignore[no-untyped-def]
        if not hasattr(backend, "_liftoff_instance_refreshes"):
            backend._liftoff_instance_refreshes = []
        return backend._liftoff_instance_refreshes

    def start_instance_refresh(self):  # type: ignore[no-untyped-def]
        params = self._get_params()
        name = params.get("AutoScalingGroupName")
        if name not in self.autoscaling_backend.autoscaling_groups:
            raise AutoscalingClientError("ValidationError", "AutoScalingGroup name not found - %s" % name)
        refreshes = _refreshes(self.autoscaling_backend)
        if any(r["AutoScalingGroupName"] == name and r["Status"] in ("Pending", "InProgress") for r in refreshes):
            raise AutoscalingClientError("InstanceRefreshInProgress", "An Instance Refresh is already in progress "
                                         "and blocks the execution of this Instance Refresh.")
        refresh = {"InstanceRefreshId": str(uuid.uuid4()), "AutoScalingGroupName": name, "Status": "Pending",
                   "StatusReason": "Waiting for the instance refresh to start.", "PercentageComplete": 0,
                   "InstancesToUpdate": len(self.autoscaling_backend.autoscaling_groups[name].instance_states),
                   "StartTime": iso_8601_datetime_with_milliseconds(utcnow()),
                   "Preferences": params.get("Preferences") or {}, "Strategy": params.get("Strategy", "Rolling")}
        refreshes.insert(0, refresh)
        return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})

    def describe_instance_refreshes(self):  # type: ignore[no-untyped-def]
        params = self._get_params()
        name = params.get("AutoScalingGroupName")
        wanted = params.get("InstanceRefreshIds") or []
        found = [r for r in _refreshes(self.autoscaling_backend) if r["AutoScalingGroupName"] == name
                 and (not wanted or r["InstanceRefreshId"] in wanted)]
        return ActionResult({"InstanceRefreshes": found})

    start_instance_refresh._liftoff_patched = True  # type: ignore[attr-defined]
    AutoScalingResponse.start_instance_refresh = start_instance_refresh  # type: ignore[attr-defined]
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes  # type: ignore[attr-defined]


PATCHES.append(patch_instance_refresh)


def patch_application_load_balancer_default_attributes() -> None:
    """DescribeLoadBalancerAttributes: an application load balancer lists its attributes with their defaults.

    AWS documents (Elastic Load Balancing API reference, LoadBalancerAttribute; and the ALB user guide, "Load
    balancer attributes") the attributes of an application load balancer and their defaults: idle timeout 60
    seconds, access logs off, HTTP/2 on, invalid header fields kept, desync mitigation ``defensive``, TLS version
    and cipher headers off, XFF client port off, WAF fail open off. DescribeLoadBalancerAttributes returns them
    all. moto 5.2.5 leaves most of them out, and amazon.aws.elb_application_lb reads each one (KeyError on the
    first run that sets idle_timeout). We add the documented defaults an attribute is missing.
    """
    from moto.elbv2.models import FakeLoadBalancer

    original = FakeLoadBalancer.__init__
    if getattr(original, "_liftoff_patched", False):
        return
    defaults = {
        "access_logs.s3.enabled": "false", "idle_timeout.timeout_seconds": "60", "routing.http2.enabled": "true",
        "routing.http.drop_invalid_header_fields.enabled": "false", "routing.http.desync_mitigation_mode": "defensive",
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
        "routing.http.xff_client_port.enabled": "false", "routing.http.preserve_host_header.enabled": "false",
        "routing.http.xff_header_processing.mode": "append", "waf.fail_open.enabled": "false",
    }

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        if self.type == "application":
            for key, value in defaults.items():
                self.attrs.setdefault(key, value)

    init._liftoff_patched = True  # type: ignore[attr-defined]
    FakeLoadBalancer.__init__ = init  # type: ignore[method-assign]


PATCHES.append(patch_application_load_balancer_default_attributes)


def patch_instance_metadata_defaults() -> None:
    """GetInstanceMetadataDefaults and ModifyInstanceMetadataDefaults: the account's IMDS defaults per region.

    AWS documents (EC2 API reference, ModifyInstanceMetadataDefaults and GetInstanceMetadataDefaults) the account-level
    instance metadata defaults of a region: Modify sets the parameters it is given (``HttpTokens``,
    ``HttpPutResponseHopLimit``, ``HttpEndpoint``, ``InstanceMetadataTags``, ``HttpTokensEnforced``), leaves the others
    as they are, clears one given as ``no-preference`` (``-1`` for the hop limit, whose other values are 1 to 64), and
    returns ``Return`` true; Get returns ``AccountLevel`` holding only the defaults that are set (an account that never
    set any gets an empty ``AccountLevel``). moto 5.2.5 implements neither call (NotImplementedError). We keep the
    defaults on each EC2 backend (one per account and region). Declarative policies (``ManagedBy``) are not emulated.
    """
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses import EC2Response

    if getattr(getattr(EC2Response, "get_instance_metadata_defaults", None), "_liftoff_patched", False):
        return
    choices = {
        "HttpTokens": ("optional", "required"),
        "HttpEndpoint": ("disabled", "enabled"),
        "InstanceMetadataTags": ("disabled", "enabled"),
        "HttpTokensEnforced": ("disabled", "enabled"),
    }

    def _defaults(backend):  # type: ignore[no-untyped-def]
        if not hasattr(backend, "_liftoff_instance_metadata_defaults"):
            backend._liftoff_instance_metadata_defaults = {}
        return backend._liftoff_instance_metadata_defaults

    def get_instance_metadata_defaults(self):  # type: ignore[no-untyped-def]
        self.error_on_dryrun()
        return ActionResult({"AccountLevel": dict(_defaults(self.ec2_backend))})

    def modify_instance_metadata_defaults(self):  # type: ignore[no-untyped-def]
        self.error_on_dryrun()
        changes = {}
        for key, allowed in choices.items():
            value = self._get_param(key)
            if value is None:
                continue
            if value != "no-preference" and value not in allowed:
                raise EC2ClientError("InvalidParameterValue", f"Value ({value}) for parameter {key} is invalid.")
            changes[key] = value
        hop_limit = self._get_param("HttpPutResponseHopLimit")
        if hop_limit is not None:
            hop_limit = int(hop_limit)
            if hop_limit != -1 and not 1 <= hop_limit <= 64:
                raise EC2ClientError("InvalidParameterValue",
                                     f"Value ({hop_limit}) for parameter HttpPutResponseHopLimit is invalid.")
            changes["HttpPutResponseHopLimit"] = hop_limit
        defaults = _defaults(self.ec2_backend)
        for key, value in changes.items():
            if value in ("no-preference", -1):
                defaults.pop(key, None)
            else:
                defaults[key] = value
        return ActionResult({"Return": True})

    get_instance_metadata_defaults._liftoff_patched = True  # type: ignore[attr-defined]
    EC2Response.get_instance_metadata_defaults = get_instance_metadata_defaults  # type: ignore[attr-defined]
    EC2Response.modify_instance_metadata_defaults = modify_instance_metadata_defaults  # type: ignore[attr-defined]


PATCHES.append(patch_instance_metadata_defaults)


def patch_budget_updates_and_subscribers() -> None:
    """UpdateBudget, DescribeSubscribersForNotification, CreateSubscriber and DeleteSubscriber.

    AWS documents (AWS Budgets API reference) that UpdateBudget replaces a budget's definition (its name and type
    stay, ``NotFoundException`` when it does not exist); that DescribeSubscribersForNotification lists the
    ``Subscribers`` (``SubscriptionType`` EMAIL or SNS, ``Address``) of the notification matching ``Notification``
    (type, comparison, threshold, threshold type), ``NotFoundException`` when there is none; and that
    CreateSubscriber / DeleteSubscriber add or remove one subscriber of a notification (``DuplicateRecordException``
    for one already there). moto 5.2.5 stores the subscribers given with CreateBudget and CreateNotification but
    implements none of these four calls. The patch works on moto's stored budget and notifications.
    """
    import json

    from moto.budgets.exceptions import DuplicateRecordException, NotFoundException
    from moto.budgets.responses import BudgetsResponse
    from moto.core.utils import unix_time

    if getattr(getattr(BudgetsResponse, "update_budget", None), "_liftoff_patched", False):
        return

    def _key(details):  # type: ignore[no-untyped-def]
        return (details.get("NotificationType"), details.get("ComparisonOperator"), float(details.get("Threshold", 0)),
                details.get("ThresholdType", "PERCENTAGE"))

    def _budget(self):  # type: ignore[no-untyped-def]
        account, name = self._get_param("AccountId"), self._get_param("BudgetName")
        budget = self.backend.budgets[account].get(name)
        if budget is None:
            raise NotFoundException(f"Unable to get budget: {name} - the budget doesn't exist.")
        return budget

    def _notification(self):  # type: ignore[no-untyped-def]
        wanted = _key(self._get_param("Notification"))
        for notification in _budget(self).notifications:
            if _key(notification.details) == wanted:
                return notification
        raise NotFoundException("Unable to find the notification - it doesn't exist.")

    def _subscriber_key(subscriber):  # type: ignore[no-untyped-def]
        return (subscriber.get("SubscriptionType"), subscriber.get("Address"))

    def update_budget(self):  # type: ignore[no-untyped-def]
        account = self._get_param("AccountId")
        new = self._get_param("NewBudget")
        budget = self.backend.budgets[account].get(new.get("BudgetName"))
        if budget is None:
            raise NotFoundException(f"Unable to update budget: {new.get('BudgetName')} - the budget doesn't exist.")
        kept = {key: budget.budget[key] for key in ("TimePeriod",) if key in budget.budget and key not in new}
        budget.budget = dict(new, **kept)
        budget.budget["LastUpdatedTime"] = unix_time()
        return json.dumps({})

    def describe_subscribers_for_notification(self):  # type: ignore[no-untyped-def]
        return json.dumps({"Subscribers": list(_notification(self).subscribers), "NextToken": None})

    def create_subscriber(self):  # type: ignore[no-untyped-def]
        notification = _notification(self)
        subscriber = self._get_param("Subscriber")
        if any(_subscriber_key(s) == _subscriber_key(subscriber) for s in notification.subscribers):
            raise DuplicateRecordException(record_type="subscriber", record_name=subscriber.get("Address"))
        notification.subscribers = list(notification.subscribers) + [subscriber]
        return json.dumps({})

    def delete_subscriber(self):  # type: ignore[no-untyped-def]
        notification = _notification(self)
        gone = _subscriber_key(self._get_param("Subscriber"))
        if not any(_subscriber_key(s) == gone for s in notification.subscribers):
            raise NotFoundException("Unable to delete the subscriber - it doesn't exist.")
        notification.subscribers = [s for s in notification.subscribers if _subscriber_key(s) != gone]
        return json.dumps({})

    update_budget._liftoff_patched = True  # type: ignore[attr-defined]
    BudgetsResponse.update_budget = update_budget  # type: ignore[attr-defined]
    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification  # type: ignore[attr-defined]
    BudgetsResponse.create_subscriber = create_subscriber  # type: ignore[attr-defined]
    BudgetsResponse.delete_subscriber = delete_subscriber  # type: ignore[attr-defined]


PATCHES.append(patch_budget_updates_and_subscribers)


def patch_describe_trails_name_list() -> None:
    """DescribeTrails honours ``trailNameList``.

    AWS documents (CloudTrail API reference, DescribeTrails) that ``trailNameList`` limits the answer to the trails
    named (by name or ARN); without it every trail of the region (and, with ``includeShadowTrails``, the
    multi-region trails of other regions) is returned. moto 5.2.5 ignores the list and returns every trail, so a
    module asking for one trail by name gets another one first (amazon.aws.cloudtrail then updates a trail that
    does not exist).
    """
    import json

    from moto.cloudtrail.responses import CloudTrailResponse

    if getattr(CloudTrailResponse.describe_trails, "_liftoff_patched", False):
        return
    original = CloudTrailResponse.describe_trails

    def describe_trails(self):  # type: ignore[no-untyped-def]
        answer = json.loads(original(self))
        names = self._get_param("trailNameList") or []
        if names:
            answer["trailList"] = [t for t in answer["trailList"] if t.get("Name") in names or t.get("TrailARN") in names]
        return json.dumps(answer)

    describe_trails._liftoff_patched = True  # type: ignore[attr-defined]
    CloudTrailResponse.describe_trails = describe_trails  # type: ignore[method-assign]


PATCHES.append(patch_describe_trails_name_list)


def patch_delete_trail_by_arn() -> None:
    """DeleteTrail accepts the trail's name or its ARN.

    AWS documents (CloudTrail API reference, DeleteTrail) ``Name`` as "the name or the CloudTrail ARN of the
    trail", and ``TrailNotFoundException`` for a trail that does not exist. moto 5.2.5 deletes only by name and
    answers success for an ARN while keeping the trail (amazon.aws.cloudtrail deletes by ARN).
    """
    from moto.cloudtrail.models import CloudTrailBackend

    if getattr(CloudTrailBackend.delete_trail, "_liftoff_patched", False):
        return

    def delete_trail(self, name):  # type: ignore[no-untyped-def]
        trail = self.get_trail(name)  # by name or ARN; TrailNotFoundException otherwise
        del self.trails[trail.trail_name]

    delete_trail._liftoff_patched = True  # type: ignore[attr-defined]
    CloudTrailBackend.delete_trail = delete_trail  # type: ignore[method-assign]


PATCHES.append(patch_delete_trail_by_arn)


def patch_policy_statement_unmet_condition() -> None:
    """A bucket policy statement whose Condition is not met does not apply (neither allows nor denies).

    AWS documents (IAM user guide, "IAM JSON policy elements: Condition" and "Policy evaluation logic")
    that a statement is in effect only when its conditions are true, and that a condition on a key the
    request does not carry is false (``...IfExists`` operators and ``Null`` aside). moto 5.2.5 passes S3
    requests no condition keys and counts a condition on a missing key as met, so the usual TLS-only
    statement (Deny ``*`` when ``aws:SecureTransport`` is false) refuses every PutObject and GetObject,
    which a TLS request on AWS never meets. Here a statement with a condition on a key the request does not
    carry does not apply; the rest is moto's own evaluation.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted
    if getattr(original, "_liftoff_patched", False):
        return

    def _key_missing(statement, incoming):  # type: ignore[no-untyped-def]
        for operator, values in (statement.get("Condition") or {}).items():
            if operator.endswith("IfExists") or operator == "Null":
                continue
            if any(key not in (incoming or {}) for key in values):
                return True
        return False

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):  # type: ignore[no-untyped-def]
        if _key_missing(self._statement, incoming_condition_values):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    is_action_permitted._liftoff_patched = True  # type: ignore[attr-defined]
    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]


PATCHES.append(patch_policy_statement_unmet_condition)


def patch_logging_target_policy_with_string_principal() -> None:
    """PutBucketLogging to a target bucket whose policy has a statement with ``"Principal": "*"``.

    AWS documents (S3 user guide, "Enabling Amazon S3 server access logging" - permissions for log delivery) that
    the target bucket's policy grants ``s3:PutObject`` to ``logging.s3.amazonaws.com``; other statements of the
    policy, like the usual TLS-only Deny with ``"Principal": "*"``, do not matter. moto 5.2.5 reads every
    statement's Principal as a dict and answers HTTP 500 on the first string one. Here statements whose Principal
    is not a dict are skipped, and the logging grant is found as moto finds it (Resource the bucket, its ``/*`` or
    the log prefix's ``*``; Action ``s3:PutObject`` alone or in a list).
    """
    import json

    from moto.s3.models import FakeBucket

    original = FakeBucket._log_permissions_enabled_policy
    if getattr(original, "_liftoff_patched", False):
        return

    def _log_permissions_enabled_policy(target_bucket, target_prefix):  # type: ignore[no-untyped-def]
        if not target_bucket.policy:
            return False
        arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
        allowed = {arn, arn + "/*", f"{arn}/{target_prefix or ''}*"}
        for statement in json.loads(target_bucket.policy.decode())["Statement"]:
            principal = statement.get("Principal")
            actions = statement.get("Action", [])
            resources = statement.get("Resource", [])
            if (isinstance(principal, dict) and principal.get("Service") == "logging.s3.amazonaws.com"
                    and statement.get("Effect") == "Allow"
                    and "s3:PutObject" in ([actions] if isinstance(actions, str) else actions)
                    and allowed & set([resources] if isinstance(resources, str) else resources)):
                return True
        return False

    _log_permissions_enabled_policy._liftoff_patched = True  # type: ignore[attr-defined]
    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)  # type: ignore[method-assign]


PATCHES.append(patch_logging_target_policy_with_string_principal)


def patch_cloudfront_distribution_config_round_trip() -> None:
    """CloudFront GetDistributionConfig answers the configuration it was given.

    AWS documents (CloudFront API reference, Origin, DefaultCacheBehavior, ViewerCertificate) that a distribution
    keeps an S3 origin's ``S3OriginConfig`` and ``OriginAccessControlId``, the default behavior's
    ``FunctionAssociations``, and, for an ACM certificate, ``CloudFrontDefaultCertificate: false`` with
    ``CertificateSource: acm``. moto 5.2.5 drops the first three and always answers the default certificate, so a
    distribution using origin access control, a CloudFront Function and its own certificate reads back as a
    different one, and no re-run could ever find it unchanged. Here they are kept as given.
    """
    from moto.cloudfront import models

    if getattr(models.Origin.__init__, "_liftoff_patched", False):
        return
    origin_init, behaviour_init, certificate_init = (models.Origin.__init__, models.DefaultCacheBehaviour.__init__,
                                                     models.ViewerCertificate.__init__)

    def origin(self, config):  # type: ignore[no-untyped-def]
        origin_init(self, config)
        if "S3OriginConfig" in config:
            self.s3_origin_config = {"OriginAccessIdentity": config["S3OriginConfig"].get("OriginAccessIdentity", "")}
        self.origin_access_control_id = config.get("OriginAccessControlId", "")

    def behaviour(self, config):  # type: ignore[no-untyped-def]
        behaviour_init(self, config)
        items = (config.get("FunctionAssociations") or {}).get("Items") or []
        self.function_associations = {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}

    def certificate(self, config):  # type: ignore[no-untyped-def]
        certificate_init(self, config)
        if self.acm_certificate_arn:
            self.cloud_front_default_certificate = False
            self.certificate_source = "acm"

    for function in (origin, behaviour, certificate):
        function._liftoff_patched = True  # type: ignore[attr-defined]
    models.Origin.__init__ = origin  # type: ignore[method-assign]
    models.DefaultCacheBehaviour.__init__ = behaviour  # type: ignore[method-assign]
    models.ViewerCertificate.__init__ = certificate  # type: ignore[method-assign]


PATCHES.append(patch_cloudfront_distribution_config_round_trip)


def patch_cloudfront_function_update_and_publish() -> None:
    """CloudFront UpdateFunction and PublishFunction.

    AWS documents (CloudFront API reference, UpdateFunction and PublishFunction) that UpdateFunction replaces a
    function's code and configuration in the DEVELOPMENT stage (``IfMatch`` the current ETag; answers a new ETag and
    the summary, status UNPUBLISHED), and that PublishFunction copies DEVELOPMENT to LIVE, after which the summary's
    status is UNASSOCIATED. A distribution can only use a published function. moto 5.2.5 implements neither (HTTP
    404), so no function could ever go live there.
    """
    from moto.cloudfront import models, responses, urls
    from moto.core.responses import ActionResult
    from moto.moto_api._internal import mock_random

    if hasattr(responses.CloudFrontResponse, "publish_function"):
        return

    def _function(self):  # type: ignore[no-untyped-def]
        return self.backend.describe_function(self._get_param("Name"))

    def update_function(self):  # type: ignore[no-untyped-def]
        function = _function(self)
        function.config = self._get_param("FunctionConfig", {}) or function.config
        function.code = self._get_param("FunctionCode") or function.code
        function.status = "UNPUBLISHED"
        function.etag = mock_random.get_random_hex(13).upper()
        function.last_modified_time = models.utcnow()
        return ActionResult({"FunctionSummary": function.function_summary, "ETag": function.etag})

    def publish_function(self):  # type: ignore[no-untyped-def]
        function = _function(self)
        function.status = "UNASSOCIATED"
        return ActionResult({"FunctionSummary": function.function_summary})

    responses.CloudFrontResponse.update_function = update_function  # type: ignore[attr-defined]
    responses.CloudFrontResponse.publish_function = publish_function  # type: ignore[attr-defined]
    urls.url_paths["{0}/2020-05-31/function/(?P<function_name>[^/]+)/publish$"] = responses.CloudFrontResponse.dispatch


PATCHES.append(patch_cloudfront_function_update_and_publish)


def patch_codedeploy_deployment_groups() -> None:
    """CodeDeploy UpdateDeploymentGroup, DeleteDeploymentGroup, DeleteApplication, and what GetDeploymentGroup answers.

    AWS documents (CodeDeploy API reference):
    - UpdateDeploymentGroup changes the fields it is given of the group ``currentDeploymentGroupName`` (optionally
      renaming it to ``newDeploymentGroupName``) and answers ``hooksNotCleanedUp``;
    - DeleteDeploymentGroup deletes the group and answers ``hooksNotCleanedUp``;
    - DeleteApplication deletes the application and every deployment group it has;
    - DeploymentGroupInfo carries ``alarmConfiguration`` as set, and ``autoScalingGroups`` as a list of
      AutoScalingGroup objects (``name``, ``hook``), not of names.
    moto 5.2.5 implements none of the three calls (so nothing could ever be changed or removed there), answers
    ``alarmConfiguration`` as ``{}`` whatever was set, and echoes the names it was given as ``autoScalingGroups``.
    Here the calls work on moto's own model, and the group reads back as AWS answers it.
    """
    from moto.codedeploy import responses
    from moto.core.responses import ActionResult

    if hasattr(responses.CodeDeployResponse, "delete_deployment_group"):
        return
    info = responses._deployment_group_info

    def deployment_group_info(group):  # type: ignore[no-untyped-def]
        answer = info(group)
        answer["alarmConfiguration"] = group.alarm_configuration or {}
        answer["autoScalingGroups"] = [
            {"name": name, "hook": f"CodeDeploy-managed-automatic-launch-deployment-hook-{group.deployment_group_name}"}
            for name in group.auto_scaling_groups]
        return answer

    fields = {"deploymentConfigName": "deployment_config_name", "ec2TagFilters": "ec2_tag_filters",
              "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
              "autoScalingGroups": "auto_scaling_groups", "serviceRoleArn": "service_role_arn",
              "triggerConfigurations": "trigger_configurations", "alarmConfiguration": "alarm_configuration",
              "autoRollbackConfiguration": "auto_rollback_configuration",
              "outdatedInstancesStrategy": "outdated_instances_strategy", "deploymentStyle": "deployment_style",
              "loadBalancerInfo": "load_balancer_info", "ec2TagSet": "ec2_tag_set", "onPremisesTagSet": "on_premises_tag_set"}

    def update_deployment_group(self):  # type: ignore[no-untyped-def]
        backend = self.codedeploy_backend
        application = self._get_param("applicationName")
        group = backend.get_deployment_group(application, self._get_param("currentDeploymentGroupName"))
        for param, attribute in fields.items():
            value = self._get_param(param)
            if value is not None:
                setattr(group, attribute, value)
        new_name = self._get_param("newDeploymentGroupName")
        if new_name and new_name != group.deployment_group_name:
            groups = backend.deployment_groups[application]
            groups[new_name] = groups.pop(group.deployment_group_name)
            group.deployment_group_name = new_name
        return ActionResult({"hooksNotCleanedUp": []})

    def delete_deployment_group(self):  # type: ignore[no-untyped-def]
        backend = self.codedeploy_backend
        application, name = self._get_param("applicationName"), self._get_param("deploymentGroupName")
        if application not in backend.applications:
            backend.get_deployment_group(application, name)  # raises ApplicationDoesNotExistException
        backend.deployment_groups.get(application, {}).pop(name, None)  # AWS answers success for a missing group
        backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(application, name))
        return ActionResult({"hooksNotCleanedUp": []})

    def delete_application(self):  # type: ignore[no-untyped-def]
        backend = self.codedeploy_backend
        application = self._get_param("applicationName")
        for name in list(backend.deployment_groups.pop(application, {})):
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(application, name))
        if backend.applications.pop(application, None) is not None:
            backend.tagger.delete_all_tags_for_resource(backend._application_arn(application))
        return ActionResult({})

    responses._deployment_group_info = deployment_group_info
    responses.CodeDeployResponse.update_deployment_group = update_deployment_group  # type: ignore[attr-defined]
    responses.CodeDeployResponse.delete_deployment_group = delete_deployment_group  # type: ignore[attr-defined]
    responses.CodeDeployResponse.delete_application = delete_application  # type: ignore[attr-defined]


PATCHES.append(patch_codedeploy_deployment_groups)


def patch_s3_notification_filter_rule_names() -> None:
    """S3 PutBucketNotificationConfiguration: filter rule names in any case, and an empty prefix.

    AWS documents (S3 API reference, FilterRule) the rule names ``prefix`` and ``suffix`` and matches them without
    regard to case (``Prefix``, as the SDKs' examples and community.aws.s3_bucket_notification send them, works), and
    GetBucketNotificationConfiguration answers them as ``Prefix`` / ``Suffix``. An empty value is a filter that every
    key matches. moto 5.2.5 asserts lower-case names and a non-empty value, so such a request fails with HTTP 500.
    Here the rules are read in any case, kept with AWS's spelling, and may be empty.
    """
    import xmltodict
    from moto.s3 import responses

    original = responses.S3Response._notification_config_from_body
    if getattr(original, "_liftoff_patched", False):
        return
    spelling = {"prefix": "Prefix", "suffix": "Suffix"}

    def rules_of(config):  # type: ignore[no-untyped-def]
        for kind in ("TopicConfiguration", "QueueConfiguration", "CloudFunctionConfiguration"):
            items = config.get(kind) or []
            for item in items if isinstance(items, list) else [items]:
                key = (item.get("Filter") or {}).get("S3Key") or {}
                rules = key.get("FilterRule") or []
                yield from rules if isinstance(rules, list) else [rules]

    def notification_config_from_body(self):  # type: ignore[no-untyped-def]
        parsed = xmltodict.parse(self.body)
        given = []
        for rule in rules_of(parsed.get("NotificationConfiguration") or {}):
            given.append((str(rule.get("Name", "")).lower(), rule.get("Value") or ""))
            rule["Name"], rule["Value"] = given[-1][0], "x"  # what moto's own checks accept
        body = self.body
        self.body = xmltodict.unparse(parsed)
        try:
            config = original(self)
        finally:
            self.body = body
        for rule, (name, value) in zip(rules_of(config or {}), given):
            rule["Name"], rule["Value"] = spelling.get(name, name), value
        return config

    notification_config_from_body._liftoff_patched = True  # type: ignore[attr-defined]
    responses.S3Response._notification_config_from_body = notification_config_from_body  # type: ignore[method-assign]


PATCHES.append(patch_s3_notification_filter_rule_names)


def patch_lambda_dead_letter_config() -> None:
    """Lambda CreateFunction / UpdateFunctionConfiguration keep ``DeadLetterConfig``; GetFunction answers it.

    AWS documents (Lambda API reference, CreateFunction, UpdateFunctionConfiguration, FunctionConfiguration) that a
    function's dead-letter queue or topic (``DeadLetterConfig.TargetArn``), where failed asynchronous invocations go,
    is stored and read back with its configuration. moto 5.2.5 drops it, so a function with a dead-letter queue
    never reads back as configured and every run would update it again. Here it is kept and answered.
    """
    from moto.awslambda import models

    if getattr(models.LambdaFunction.get_configuration, "_liftoff_patched", False):
        return
    init, get_configuration, update_configuration = (models.LambdaFunction.__init__, models.LambdaFunction.get_configuration,
                                                     models.LambdaFunction.update_configuration)

    def new_init(self, account_id, spec, region, version=1):  # type: ignore[no-untyped-def]
        init(self, account_id, spec, region, version)
        self.dead_letter_config = spec.get("DeadLetterConfig") or {}

    def new_get_configuration(self, on_create=False):  # type: ignore[no-untyped-def]
        config = get_configuration(self, on_create)
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config
        return config

    def new_update_configuration(self, config_updates):  # type: ignore[no-untyped-def]
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"] or {}
        return update_configuration(self, config_updates)

    new_get_configuration._liftoff_patched = True  # type: ignore[attr-defined]
    models.LambdaFunction.__init__ = new_init  # type: ignore[method-assign]
    models.LambdaFunction.get_configuration = new_get_configuration  # type: ignore[method-assign]
    models.LambdaFunction.update_configuration = new_update_configuration  # type: ignore[method-assign]


PATCHES.append(patch_lambda_dead_letter_config)
