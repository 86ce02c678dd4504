"""The `cfnresponse` module CloudFormation puts next to inline (`Code.ZipFile`) Python
source, so that custom resource handlers written for AWS answer unchanged:

    import cfnresponse
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Answer": 42}, "my-id")

`SOURCE` is the module's text, added to the zip as cfnresponse.py; it uses the standard
library only (the runtime may have no urllib3).
"""

SOURCE = '''\
"""Answer a CloudFormation custom resource request (Stratus's cfnresponse)."""

import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None,
         noEcho=False, reason=None):
    body = json.dumps({
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: "
        + context.log_stream_name,
        "PhysicalResourceId": physicalResourceId or context.log_stream_name,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT",
        headers={"content-type": "", "content-length": str(len(body))},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print("Status code:", response.status)
    except Exception as error:
        print("send(..) failed executing urllib.request.urlopen(..): " + str(error))
'''
