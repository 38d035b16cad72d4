"""Generate EC2 DescribeInstances answers for a fleet of any size.

The answers are written in AWS's own namespace, the one apache-libcloud looks
elements up in and every other client accepts, and are cut into pages of
:data:`PAGE_SIZE` instances chained by ``nextToken``, as EC2 pages them. Each
instance carries what a real one does (state, placement, addresses, a network
interface, a root volume, security groups, tags), so that every client parses
about as much as it would against EC2.
"""

from __future__ import annotations

import logging

__all__ = [
    "ADDRESSES",
    "NAMESPACE",
    "PAGE_SIZE",
    "error_page",
    "instance_id",
    "pages",
    "token_for",
]

log = logging.getLogger(__name__)

#: The namespace of the EC2 API version that every client here speaks.
NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"

#: Instances per page, as EC2 answers when it pages.
PAGE_SIZE = 1000

_STATES = (("16", "running"), ("16", "running"), ("80", "stopped"), ("0", "pending"))
_TYPES = ("t3.micro", "m5.large", "c6i.xlarge", "r6g.2xlarge")
_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")

_INSTANCE = """<item>
<reservationId>r-{hex}</reservationId>
<ownerId>123456789012</ownerId>
<groupSet/>
<instancesSet>
<item>
<instanceId>{id}</instanceId>
<imageId>ami-0abcdef1234567890</imageId>
<instanceState><code>{code}</code><name>{state}</name></instanceState>
<privateDnsName>ip-{dashed}.ec2.internal</privateDnsName>
<dnsName>ec2-{public_dashed}.compute-1.amazonaws.com</dnsName>
<reason/>
<keyName>bench-key</keyName>
<amiLaunchIndex>0</amiLaunchIndex>
<productCodes/>
<instanceType>{type}</instanceType>
<launchTime>2026-11-{day:02d}T08:{minute:02d}:00.000Z</launchTime>
<placement><availabilityZone>{zone}</availabilityZone><groupName/>\
<tenancy>default</tenancy></placement>
<monitoring><state>disabled</state></monitoring>
<subnetId>subnet-0123456789abcdef0</subnetId>
<vpcId>vpc-0123456789abcdef0</vpcId>
<privateIpAddress>{private}</privateIpAddress>
<ipAddress>{public}</ipAddress>
<sourceDestCheck>true</sourceDestCheck>
<groupSet><item><groupId>sg-0123456789abcdef0</groupId>\
<groupName>default</groupName></item></groupSet>
<architecture>x86_64</architecture>
<rootDeviceType>ebs</rootDeviceType>
<rootDeviceName>/dev/xvda</rootDeviceName>
<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs>\
<volumeId>vol-{hex}</volumeId><status>attached</status>\
<attachTime>2026-11-{day:02d}T08:{minute:02d}:01.000Z</attachTime>\
<deleteOnTermination>true</deleteOnTermination></ebs></item></blockDeviceMapping>
<virtualizationType>hvm</virtualizationType>
<clientToken>bench-{index}</clientToken>
<tagSet><item><key>Name</key><value>node-{index}</value></item>\
<item><key>team</key><value>bench</value></item></tagSet>
<hypervisor>xen</hypervisor>
<networkInterfaceSet><item>
<networkInterfaceId>eni-{hex}</networkInterfaceId>
<subnetId>subnet-0123456789abcdef0</subnetId>
<vpcId>vpc-0123456789abcdef0</vpcId>
<description>Primary network interface</description>
<ownerId>123456789012</ownerId>
<status>in-use</status>
<macAddress>0a:00:00:{mac}</macAddress>
<privateIpAddress>{private}</privateIpAddress>
<privateDnsName>ip-{dashed}.ec2.internal</privateDnsName>
<sourceDestCheck>true</sourceDestCheck>
<groupSet><item><groupId>sg-0123456789abcdef0</groupId>\
<groupName>default</groupName></item></groupSet>
<attachment><attachmentId>eni-attach-{hex}</attachmentId><deviceIndex>0</deviceIndex>\
<status>attached</status><deleteOnTermination>true</deleteOnTermination></attachment>
<association><publicIp>{public}</publicIp><ipOwnerId>amazon</ipOwnerId></association>
<privateIpAddressesSet><item><privateIpAddress>{private}</privateIpAddress>\
<primary>true</primary><association><publicIp>{public}</publicIp>\
<ipOwnerId>amazon</ipOwnerId></association></item></privateIpAddressesSet>
</item></networkInterfaceSet>
<ebsOptimized>false</ebsOptimized>
<enaSupport>true</enaSupport>
</item>
</instancesSet>
</item>
"""

#: The answer to DescribeAddresses: no Elastic IP (libcloud asks on every list).
ADDRESSES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<DescribeAddressesResponse xmlns="{NAMESPACE}">'
    "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>"
    "<addressesSet/></DescribeAddressesResponse>"
).encode()


def instance_id(index: int) -> str:
    """Return the id of the ``index``-th instance of a fleet.

    :param index: the instance's place in the fleet, from 0.
    :returns: an id in EC2's form (``i-`` and 17 hex digits).
    """
    return f"i-{index:017x}"


def token_for(page: int) -> str:
    """Return the ``nextToken`` that asks for a page.

    :param page: the page's number, from 0.
    :returns: an opaque-looking token.
    """
    return f"bench-page-{page}"


def _instance(index: int) -> str:
    state_code, state = _STATES[index % len(_STATES)]
    third, fourth = divmod(index, 250)
    private = f"10.0.{third % 250}.{fourth + 1}"
    public = f"54.{(index >> 16) % 250 + 1}.{(index >> 8) % 256}.{index % 256}"
    return _INSTANCE.format(
        id=instance_id(index),
        hex=f"{index:017x}",
        index=index,
        code=state_code,
        state=state,
        type=_TYPES[index % len(_TYPES)],
        zone=_ZONES[index % len(_ZONES)],
        day=index % 28 + 1,
        minute=index % 60,
        private=private,
        public=public,
        dashed=private.replace(".", "-"),
        public_dashed=public.replace(".", "-"),
        mac=f"{(index >> 16) & 255:02x}:{(index >> 8) & 255:02x}:{index & 255:02x}",
    )


def pages(instances: int, page_size: int = PAGE_SIZE) -> list[bytes]:
    """Return the DescribeInstances answers for a fleet, one per page.

    :param instances: how many instances the fleet has (0 gives one empty page).
    :param page_size: instances per page.
    :returns: the encoded answers; each but the last names the next page's token.
    """
    count = max(1, -(-instances // page_size))
    answers = []
    for page in range(count):
        first = page * page_size
        last = min(instances, first + page_size)
        body = "".join(_instance(index) for index in range(first, last))
        more = page + 1 < count
        token = f"<nextToken>{token_for(page + 1)}</nextToken>" if more else ""
        answers.append(
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<DescribeInstancesResponse xmlns="{NAMESPACE}">\n'
                f"<requestId>8f7724cf-496f-496e-8fe3-{page:012d}</requestId>\n"
                f"<reservationSet>\n{body}</reservationSet>\n{token}"
                "</DescribeInstancesResponse>"
            ).encode()
        )
    log.debug("generated %d pages for %d instances", count, instances)
    return answers


def error_page(code: str, message: str) -> bytes:
    """Return an EC2 error document.

    :param code: EC2's error code (``InvalidAction``).
    :param message: what went wrong.
    :returns: the encoded document.
    """
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
        "</Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID>"
        "</Response>"
    ).encode()
