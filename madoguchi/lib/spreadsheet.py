"""Text files that people keep in a spreadsheet (the 人事課's staff list, the マイナンバー
カード交付状況 table): UTF-8 with or without a BOM, else Shift_JIS/CP932 as Excel saves it."""

from __future__ import annotations


def decode_spreadsheet_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            raise ValueError("文字コードが UTF-8 でも Shift_JIS でもありません") from None
