"""The errors the masking package raises, inside the project's one hierarchy."""

from __future__ import annotations

from govdata.errors import InvalidInput


class MaskingRuleInvalid(InvalidInput):
    """A masking rule set (or the keys it names) that cannot be applied safely.

    The message names the rule (by its ``name`` and position) and the field at
    fault; ``fields`` maps the path of that field (``rules[2].strategy.keep_prefix``)
    to what is wrong with it.
    """

    code = "masking_rule_invalid"
    default_message = "脱敏规则集无效"
