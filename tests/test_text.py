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


def test_windows_31j_writes_every_character_as_the_c_library_s_cp932_does():
    """The oracle is glibc's CP932 converter (iconv), Microsoft's table as the C library
    carries it: every character Python's cp932 can write, written by windows-31j, is byte
    for byte what iconv writes — the 373 NEC-selected ones included (髙 FBFC, 﨑 FAB1,
    ⅰ FA40), which Python's cp932 writes otherwise."""
    import subprocess

    from madoguchi.lib import windows31j

    characters = []
    for code in range(0x20, 0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        try:
            chr(code).encode("cp932")
        except UnicodeEncodeError:
            continue
        characters.append(chr(code))
    text = "".join(c + "\n" for c in characters)
    oracle = subprocess.run(
        ["iconv", "-c", "-f", "UTF-8", "-t", "CP932"], input=text.encode(), capture_output=True
    ).stdout.split(b"\n")
    compared = 0
    for character, expected in zip(characters, oracle, strict=False):
        if expected:  # the C library lacks a handful (U+0080, U+F8F0–F8F3)
            assert character.encode(windows31j.NAME) == expected, character
            compared += 1
    assert compared > 9000
    assert len(windows31j.WINDOWS_BYTES) == 373
    assert "髙﨑ⅰ".encode(windows31j.NAME) == b"\xfb\xfc\xfa\xb1\xfa\x40"
    assert b"\xfb\xfc\xee\xe0".decode(windows31j.NAME) == "髙髙"  # both read
    try:
        "ab𠮷c".encode(windows31j.NAME)
    except UnicodeEncodeError as error:
        assert (error.start, error.end) == (2, 3)  # the place in the whole text
    else:
        raise AssertionError("𠮷 is not in CP932")


def test_a_record_is_held_back_for_exactly_the_value_a_value_by_value_check_names():
    """The export checks a whole record in two searches; whatever the values, it names the
    same first value and reason as checking each value on its own would."""
    from hypothesis import given
    from hypothesis import strategies as st

    from madoguchi.lib.cells import file_problem, row_problem

    pieces = st.sampled_from(
        ["山田", "1", "-5", "=", "+", "@", "－", "＝", " ", "\u3000", "\ufeff", "\u200b",
         "\u00ad", "\n", "\t", "\r", "\x1e", "\u202e", ".", "a"]
    )  # fmt: skip
    value = st.lists(pieces, max_size=4).map("".join)

    @given(st.lists(value, max_size=6))
    def agrees(values: list[str]) -> None:
        expected = next(
            ((i, p) for i, v in enumerate(values) if (p := file_problem(v)) is not None), None
        )
        assert row_problem(values) == expected

    agrees()
