from madoguchi.lib.text import normalize_for_match


def test_width_space_kana_and_old_forms_compare_equal():
    assert normalize_for_match("髙橋　さくら") == normalize_for_match("高橋 サクラ")
    assert normalize_for_match("渡邉　ｹﾝ") == normalize_for_match("渡辺ケン")
    assert normalize_for_match("千代田１番") == normalize_for_match("千代田1番")


def test_different_names_stay_different():
    assert normalize_for_match("高橋　花子") != normalize_for_match("高梨　花子")
