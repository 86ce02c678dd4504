"""The smallest Lambda handler: a greeting, and a line in the function's log."""


def handler(event, context):
    name = event.get("name") or "world"
    # Anything printed lands in the log group /aws/lambda/<function name>.
    print(f"saying hello to {name} (request {context.aws_request_id})")
    return {"message": f"Hello, {name}!"}
