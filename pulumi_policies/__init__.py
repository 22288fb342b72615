"""Access and configuration policies as Pulumi resources."""
