"""Shared by every function that uses the layer: built into python/, found at /opt/python."""

LAYER_NAME = "shared-greetings"


def greet(name):
    return f"Hello, {name}! (from the {LAYER_NAME} layer)"
