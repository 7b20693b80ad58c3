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


def test_names_fold_by_named_maps_and_latin_case():
    """Latin letters by case (a foreign resident typed both ways); 異体字 by the MJ縮退マップ
    and the 国税庁 JIS縮退マップ; and nothing that no named source joins."""
    same = [
        ("Smith John", "SMITH JOHN"),
        ("ｓｍｉｔｈ", "SMITH"),
        ("森　鷗外", "森鴎外"),  # 国税庁 JIS縮退マップ
        ("關", "関"),  # MJ縮退マップ (法務省戸籍法関連通達)
        ("顯", "顕"),
        ("圀", "国"),
        ("桒原", "桑原"),
        ("曾根", "曽根"),
        ("髙橋", "高橋"),
        ("山﨑", "山崎"),
        ("𠮷田", "吉田"),
        ("渡邉", "渡辺"),
        ("渡邊", "渡辺"),
    ]
    for a, b in same:
        assert normalize_for_match(a) == normalize_for_match(b), (a, b)
    for a, b in [("斎藤", "斉藤"), ("宮碕", "宮崎"), ("凛", "凜"), ("SMITH", "SMYTH")]:
        assert normalize_for_match(a) != normalize_for_match(b), (a, b)
