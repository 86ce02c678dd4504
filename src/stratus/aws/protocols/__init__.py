"""The AWS wire protocols, driven by botocore's service models as data (docs/design.md,
"The protocol layer").

    models          botocore's models, loaded once, off the event loop
    validate        input checked against a model's constraints, in AWS's words
    errors          error meanings -> an API's code and status (WireError, wire_error)
    adapter         Api (model name, handlers, error table, body limit), Call, Handler
    body            request bodies size-checked while they stream
    aws_json        JSON 1.0/1.1 (X-Amz-Target)           json_codec: members <-> JSON
    query           the query protocol (Action=…)         xml_codec: members <-> XML
    rest_json       rest-json                             rest_routing: requestUri matching
    rest_xml        rest-xml                              rest_locations: uri/query/headers
    timestamps      ISO 8601, RFC 822 and epoch seconds
"""
