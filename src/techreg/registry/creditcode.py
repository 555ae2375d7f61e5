"""Unified social credit code (统一社会信用代码), GB 32100-2015."""

from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# weight of position i (1-based) is 3^(i-1) mod 31
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def check_character(first17: str) -> str:
    """The 18th character for the given first 17 (raises KeyError on a bad character)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


@lru_cache(maxsize=200_000)
def credit_code_problem(code: str) -> tuple[str, str] | None:
    """None when valid, else the reason (Chinese, English)."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际{len(code)}位", f"must be 18 characters, got {len(code)}"
    bad = [c for c in code if c not in _VALUE]
    if bad:
        shown = bad[0] if bad[0].isprintable() and not bad[0].isspace() else f"U+{ord(bad[0]):04X}"
        return (f"统一社会信用代码含非法字符“{shown}”（不得使用 I、O、Z、S、V 及小写）",
                f"contains the invalid character \"{shown}\"")
    # never the expected character: a mistyped code is usually wrong elsewhere, and "should be 6" invites
    # changing only the last one into another company's code
    if code[17] != check_character(code[:17]):
        return ("统一社会信用代码未通过校验，很可能有字符录入错误：请对照营业执照逐位核对全部18位",
                "the unified social credit code fails its check, probably a mistyped character: verify all 18"
                " characters against the business licence")
    return None


def is_valid(code: str) -> bool:
    return credit_code_problem(code) is None


def make_code(body17: str) -> str:
    """Complete 17 characters with their check character (demo data, tests)."""
    return body17 + check_character(body17)
