"""One verdict: the access changes of a preview against the stack's state (or a saved model), as ``access`` and
``diff`` both print them."""

from __future__ import annotations

from dataclasses import dataclass

from ..preview import Preview
from .compare import Change, attributed, changed, compare, new_access
from .documents import Resources, declared, resources_of_preview
from .model import AccessModel, Unseen, build, member_ids


@dataclass
class Review:
    changes: list[Change]
    unseen: list[Unseen]   # every value not seen, before and after, and how it was read
    after: AccessModel

    @property
    def new_access(self) -> bool:
        return new_access(self.changes)


def review(preview: Preview, state: Resources | None, baseline: AccessModel | None = None) -> Review:
    """The access changes `preview` makes to `state` (``resources_of_state``), or to `baseline` when given."""
    before, after = resources_of_preview(preview, state)
    was, now = declared(before), declared(after)
    ids = member_ids(was, now)
    after_model = build(now, ids)
    if baseline is not None:
        return Review(compare(baseline, after_model), list(after_model.unseen), after_model)
    before_model = build(was, ids)
    return Review(attributed(compare(before_model, after_model, changed(was, now)), was, now, ids),
                  [*after_model.unseen, *(u for u in before_model.unseen if u not in after_model.unseen)], after_model)
