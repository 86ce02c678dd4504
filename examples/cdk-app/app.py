"""A small CDK app: a function behind an HTTP API that queues what it is sent.

`cdk deploy` synthesizes it (`python3 app.py`, as cdk.json says), uploads the function's
folder as a zip asset to the bootstrap bucket and deploys the stack with a change set. The
same app deploys on AWS unchanged.
"""

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class GreeterStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        queue = sqs.Queue(self, "Greetings", visibility_timeout=cdk.Duration.seconds(30))
        function = lambda_.Function(
            self,
            "Greeter",
            runtime=lambda_.Runtime.PYTHON_3_11,
            handler="handler.handler",
            code=lambda_.Code.from_asset("lambda"),
            environment={"QUEUE_URL": queue.queue_url},
            timeout=cdk.Duration.seconds(10),
        )
        queue.grant_send_messages(function)
        api = apigwv2.HttpApi(
            self,
            "Api",
            default_integration=integrations.HttpLambdaIntegration("Greet", function),
        )
        cdk.CfnOutput(self, "ApiUrl", value=api.url or "")
        cdk.CfnOutput(self, "QueueUrl", value=queue.queue_url)


app = cdk.App()
GreeterStack(app, "CdkGreeter")
app.synth()
