from hypothesis import given, strategies as st

from techreg.registry.creditcode import ALPHABET, WEIGHTS, check_character, credit_code_problem, is_valid, make_code


def test_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_known_valid_codes():
    # published examples of real-format codes
    assert is_valid("91350100M000100Y43")
    assert is_valid("91310000MA1FL1234Q")


def test_a_wrong_check_character_asks_for_the_whole_code_and_never_names_the_expected_one():
    zh, en = credit_code_problem("91350100M000100Y44")          # valid with 3 at the end
    assert "未通过校验" in zh and "营业执照" in zh and "全部18位" in zh
    assert "fails its check" in en and "business licence" in en
    assert "3" not in zh.replace("18", "") and "3" not in en and "should be" not in en


def test_bad_length_and_characters():
    assert "18" in credit_code_problem("9135010")[0]
    assert "非法字符" in credit_code_problem("91350100M000100I43")[0]  # I is not in the alphabet
    assert credit_code_problem("91350100m000100y43") is not None  # lower case is not allowed


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_any_body_with_its_check_character_is_valid(body):
    assert is_valid(make_code(body))


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17), st.sampled_from(ALPHABET))
def test_every_other_check_character_is_rejected(body, c):
    code = body + c
    assert is_valid(code) == (c == check_character(body))


@given(st.text(max_size=30))
def test_never_crashes_on_arbitrary_text(text):
    result = credit_code_problem(text)
    assert result is None or (len(result) == 2 and all(isinstance(part, str) and part for part in result))
