"""What the benchmark scripts share on their command lines."""

import json


def parse_set(items: list[str]) -> dict[str, object]:
    """`--set KEY=VALUE` items as config overrides: JSON values (numbers, true, null), else text."""
    values: dict[str, object] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            values[key] = json.loads(value)
        except ValueError:
            values[key] = value
    return values
