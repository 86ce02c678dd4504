"""GetSdk for `javascript`: a client for one stage of a REST API, in the shape of the SDK
API Gateway generates (`apiGateway-js-sdk/apigClient.js`, `apigClientFactory.newClient`,
one method per resource and HTTP method named as AWS names them: `/pets/{petId}` GET is
`petsPetIdGet`, `/` is `root…`), each taking `(params, body, additionalParams)` and
answering a Promise of `{status, headers, data}` (rejected, like AWS's axios-based SDK, for
statuses of 400 and up).

Written for today's runtimes rather than copied from AWS's bundle: it uses the standard
`fetch` (browsers, Node 18+) instead of axios and carries no third-party code. Path
parameters, and the query strings and headers the method declares (requestParameters), are
read from `params`; `additionalParams.headers` / `.queryParams` add others; `config.apiKey`
sends `x-api-key`. Left out: SigV4 signing (`config.accessKey`): Stratus checks no
signatures unless told to. The other SDK types (android, java, objectivec, swift, ruby) are
refused with BadRequestException. Pure: the caller hands in the stage's exported document.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from stratus.errors import Invalid

SDK_TYPES = ("javascript",)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_WORD = re.compile(r"[A-Za-z0-9]+")


def method_name(path: str, http_method: str) -> str:
    """AWS's name for a resource's method: its path's words camel-cased, then the method."""
    words: list[str] = [w for part in path.split("/") for w in _WORD.findall(part)]
    if not words:
        words = ["root"]
    head, *tail = words
    name = head[:1].lower() + head[1:] + "".join(w[:1].upper() + w[1:] for w in tail)
    return name + http_method[:1].upper() + http_method[1:].lower()


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in sorted((document.get("paths") or {}).items()):
        for key, operation in sorted(item.items()):
            verb = "ANY" if key == "x-amazon-apigateway-any-method" else key.upper()
            if key != "x-amazon-apigateway-any-method" and key not in _METHODS:
                continue
            parameters = operation.get("parameters") or []
            found.append({
                "name": method_name(path, verb),
                "method": verb,
                "path": path,
                "query": [p["name"] for p in parameters if p.get("in") == "query"],
                "headers": [p["name"] for p in parameters if p.get("in") == "header"],
            })  # fmt: skip
    return found


_RUNTIME = """
  function encodePath(template, params) {
    return template.replace(/\\{([^}+]+)(\\+?)\\}/g, function (_, name, greedy) {
      var value = params[name];
      if (value === undefined || value === null) {
        throw new Error('Missing required parameter: ' + name);
      }
      value = String(value);
      return greedy ? value.split('/').map(encodeURIComponent).join('/')
                    : encodeURIComponent(value);
    });
  }

  function request(method, template, queryNames, headerNames, params, body, additional) {
    params = params || {};
    additional = additional || {};
    var url = invokeUrl + encodePath(template, params);
    var query = new URLSearchParams();
    queryNames.forEach(function (name) {
      if (params[name] !== undefined) { query.append(name, String(params[name])); }
    });
    var extra = additional.queryParams || {};
    Object.keys(extra).forEach(function (name) { query.append(name, String(extra[name])); });
    if (query.toString()) { url += '?' + query.toString(); }
    var headers = {'Accept': defaultAcceptType};
    if (config.apiKey) { headers['x-api-key'] = config.apiKey; }
    headerNames.forEach(function (name) {
      if (params[name] !== undefined) { headers[name] = String(params[name]); }
    });
    var more = additional.headers || {};
    Object.keys(more).forEach(function (name) { headers[name] = String(more[name]); });
    var init = {method: method === 'ANY' ? (additional.method || 'GET') : method,
                headers: headers};
    if (body !== undefined && body !== null && init.method !== 'GET' && init.method !== 'HEAD') {
      headers['Content-Type'] = headers['Content-Type'] || defaultContentType;
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    return fetch(url, init).then(function (answer) {
      return answer.text().then(function (text) {
        var data = text;
        var type = answer.headers.get('content-type') || '';
        if (type.indexOf('json') !== -1 && text) {
          try { data = JSON.parse(text); } catch (e) { data = text; }
        }
        var found = {};
        answer.headers.forEach(function (value, name) { found[name] = value; });
        var response = {status: answer.status, headers: found, data: data};
        if (answer.status >= 400) { return Promise.reject(response); }
        return response;
      });
    });
  }
"""


def javascript_client(document: dict[str, Any], invoke_url: str) -> str:
    title = (document.get("info") or {}).get("title", "")
    methods = []
    for operation in _operations(document):
        methods.append(
            f"  apigClient.{operation['name']} = function (params, body, additionalParams) {{\n"
            f"    return request({json.dumps(operation['method'])}, "
            f"{json.dumps(operation['path'])}, {json.dumps(operation['query'])}, "
            f"{json.dumps(operation['headers'])}, params, body, additionalParams);\n"
            "  };\n"
        )
    return (
        f"/* A client for the REST API {json.dumps(title)}, generated by Stratus (GetSdk). */\n"
        "var apigClientFactory = {};\n"
        "apigClientFactory.newClient = function (config) {\n"
        "  config = config || {};\n"
        f"  var invokeUrl = (config.invokeUrl || {json.dumps(invoke_url)}).replace(/\\/$/, '');\n"
        "  var defaultContentType = config.defaultContentType || 'application/json';\n"
        "  var defaultAcceptType = config.defaultAcceptType || 'application/json';\n"
        + _RUNTIME
        + "\n  var apigClient = {};\n"
        + "".join(methods)
        + "  return apigClient;\n};\n"
        "if (typeof module !== 'undefined' && module.exports) {\n"
        "  module.exports = apigClientFactory;\n}\n"
    )


_README = """# {title} JavaScript SDK

Generated by Stratus's GetSdk for stage `{stage}` ({url}).

```js
var apigClientFactory = require('./apigClient.js');  // or <script src="apigClient.js">
var client = apigClientFactory.newClient({{apiKey: 'optional'}});
client.{example}(params, body, additionalParams).then(function (r) {{ console.log(r.data); }});
```

Methods: {methods}.
"""


def sdk_zip(sdk_type: str, document: dict[str, Any], invoke_url: str, stage: str) -> bytes:
    """The SDK as a zip (`apiGateway-js-sdk/…`), or BadRequest for a type Stratus does not
    generate."""
    if sdk_type not in SDK_TYPES:
        raise Invalid(
            f"Stratus generates javascript SDKs only, not {sdk_type!r}: ask for sdkType javascript"
        )
    names = [o["name"] for o in _operations(document)]
    readme = _README.format(
        title=(document.get("info") or {}).get("title", ""), stage=stage, url=invoke_url,
        example=names[0] if names else "rootGet", methods=", ".join(names) or "none",
    )  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("apiGateway-js-sdk/apigClient.js", javascript_client(document, invoke_url))
        archive.writestr("apiGateway-js-sdk/README.md", readme)
    return buffer.getvalue()
