import sys

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider


class Greeting(ResourceProvider):
    def create(self, props):
        return CreateResult(f"greeting-{props['who']}", {"who": props["who"], "text": f"hello, {props['who']}"})

    def diff(self, _id, olds, news):
        return DiffResult(changes=olds.get("who") != news.get("who"))


class Hello(Resource):
    text: pulumi.Output[str]

    def __init__(self, name, who):
        super().__init__(Greeting(), name, {"who": who, "text": None})


config = pulumi.Config()
hello = Hello("hello", config.get("who") or "world")
pulumi.export("text", hello.text)
pulumi.export("python", sys.prefix)
