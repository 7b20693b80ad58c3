from madoguchi.lib.text import normalize_for_match


def test_width_space_kana_and_old_forms_compare_equal():
    assert normalize_for_match("髙橋　さくら") == normalize_for_match("高橋 サクラ")
    assert normalize_for_match("渡邉　ｹﾝ") == normalize_for_match("渡辺ケン")
    assert normalize_for_match("千代田１番") == normalize_for_match("千代田1番")


def test_different_names_stay_different():
    assert normalize_for_match("高橋　花子") != normalize_for_match("高梨　花子")


def test_a_formula_behind_whitespace_or_a_format_character_is_still_defused():
    """CSV injection past the first character: a line feed, a full-width space, U+FEFF or a
    zero-width space before ``=`` is skipped by a spreadsheet, so the guard looks past it."""
    from madoguchi.lib.cells import file_problem, spreadsheet_safe

    for value in (
        "=1+1",
        "\n=1+1",
        " =1+1",
        "\u3000=1+1",
        "\ufeff=1+1",
        "\u200b@SUM(A1)",
        "\r\n+1",
    ):
        assert spreadsheet_safe(value) == "'" + value, repr(value)
        assert file_problem(value) is not None, repr(value)
    for value in ("山田　花子", " 山田", "\ufeff山田", "", "   "):
        assert spreadsheet_safe(value) == value
    # A signed number stays a number in a core system's file, whatever comes before it.
    assert file_problem("-5") is None
    assert file_problem("\ufeff-5") is None
