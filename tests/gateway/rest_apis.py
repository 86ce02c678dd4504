"""Building REST APIs for the gateway's tests: boto3's `apigateway` client against the test
server, functions from the `deploy` fixture, requests over real HTTP (httpx)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

URI = "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
values = itertools.count()  # unique names and key values


class RestApi:
    """One REST API under construction: resources by path, methods, a deployment."""

    def __init__(self, server: Any, apigateway: Any, **params: Any) -> None:
        self.server, self.apigateway = server, apigateway
        created = apigateway.create_rest_api(**{"name": "gateway-test", **params})
        self.id: str = created["id"]
        self.resources: dict[str, str] = {"/": created["rootResourceId"]}

    def function_uri(self, name: str) -> str:
        settings = self.server.settings
        arn = f"arn:aws:lambda:{settings.region}:{settings.account_id}:function:{name}"
        return URI.format(region=settings.region, arn=arn)

    def resource(self, path: str) -> str:
        """The id of the resource at `path`, made (with its parents) when missing."""
        if path not in self.resources:
            parent, _, part = path.rpartition("/")
            parent_id = self.resource(parent or "/")
            made = self.apigateway.create_resource(
                restApiId=self.id, parentId=parent_id, pathPart=part
            )
            self.resources[path] = made["id"]
        return self.resources[path]

    def method(
        self,
        path: str,
        http_method: str = "GET",
        function: str | None = None,
        *,
        integration: dict[str, Any] | None = None,
        **method: Any,
    ) -> str:
        """A method calling `function` through AWS_PROXY (or `integration`); its resource id."""
        resource_id = self.resource(path)
        self.apigateway.put_method(
            restApiId=self.id,
            resourceId=resource_id,
            httpMethod=http_method,
            authorizationType=method.pop("authorizationType", "NONE"),
            **method,
        )
        if integration is None:
            assert function is not None
            integration = {
                "type": "AWS_PROXY",
                "integrationHttpMethod": "POST",
                "uri": self.function_uri(function),
            }
        self.apigateway.put_integration(
            restApiId=self.id, resourceId=resource_id, httpMethod=http_method, **integration
        )
        return resource_id

    def authorizer(self, function: str, kind: str = "TOKEN", **settings: Any) -> str:
        if kind == "TOKEN":
            settings.setdefault("identitySource", "method.request.header.Authorization")
        created = self.apigateway.create_authorizer(
            restApiId=self.id,
            name=f"auth{next(values)}",
            type=kind,
            authorizerUri=self.function_uri(function),
            **settings,
        )
        return str(created["id"])

    def respond(self, resource_id: str, method: str, **response: Any) -> None:
        """A method response and its integration response (statusCode 200 unless given);
        the method response declares the headers the integration response maps."""
        status = response.pop("statusCode", "200")
        self.apigateway.put_method_response(
            restApiId=self.id,
            resourceId=resource_id,
            httpMethod=method,
            statusCode=status,
            responseParameters={k: False for k in response.get("responseParameters", {})},
        )
        self.apigateway.put_integration_response(
            restApiId=self.id,
            resourceId=resource_id,
            httpMethod=method,
            statusCode=status,
            **response,
        )

    def deploy(self, stage: str = "prod", **params: Any) -> str:
        made = self.apigateway.create_deployment(restApiId=self.id, stageName=stage, **params)
        return str(made["id"])

    def call(self, method: str, path: str, *, by_host: bool = False, **kw: Any) -> httpx.Response:
        """A request to `path` (with the stage: `/prod/pets/1`), by path or Host header."""
        kw.setdefault("timeout", 30)
        if by_host:
            port = self.server.settings.port
            headers = {"host": f"{self.id}.execute-api.localhost:{port}"} | kw.pop("headers", {})
            return httpx.request(method, f"{self.server.endpoint_url}{path}", headers=headers, **kw)
        url = f"{self.server.endpoint_url}/_aws/execute-api/{self.id}{path}"
        return httpx.request(method, url, **kw)
