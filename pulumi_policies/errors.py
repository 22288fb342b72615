"""The package's one exception root: every error a user can meet is a ``PulumiPoliciesError``.

    PulumiPoliciesError
    ├── PolicyAPIError          client/errors.py: a call to a policy API failed (its own tree there)
    ├── PolicyProviderError     providers/base.py: a resource operation failed, said whole
    ├── OrderError              providers/ordering.py: a declared policy order does not fit the profile
    ├── ConfigurationError      connections.py: an endpoint, credential or connection setting is missing or wrong
    ├── NoProject               stacks.py: no Pulumi project where a stack command looks
    ├── RollbackError           rollback.py: the stack cannot be rolled back (no earlier update, a lock...)
    ├── RecoveryError           recovery.py: the stack cannot be recovered as asked
    └── StoreError              backends.py: the state backend's store cannot be read

``str(exc)`` is the whole message, with what to do; the CLI prints it as one line (``error: ...``) and exits 1.
"""

from __future__ import annotations


class PulumiPoliciesError(Exception):
    """Base of every error of this package."""
