from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def not_mallory(args, report_violation):
    if args.props.get("who") == "mallory":
        report_violation("mallory may not be greeted")


PolicyPack(
    name="engine-test-pack",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name="no-mallory", description="Nobody greets mallory.", validate=not_mallory)],
)
