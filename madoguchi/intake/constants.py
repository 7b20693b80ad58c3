from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", _("受付")
    DUPLICATE = "duplicate", _("重複")
    QUARANTINED = "quarantined", _("隔離")


class Reason(models.TextChoices):
    """Quarantine reason codes (DESIGN.md §7). Never reuse a code for another meaning."""

    NOT_A_ZIP = "not_a_zip", _("ZIP形式のファイルではありません")
    ZIP_CORRUPT = "zip_corrupt", _("ZIPファイルが壊れているか途中で切れています")
    ZIP_LIMITS = "zip_limits", _("ZIPファイルの件数・展開後サイズ・圧縮率が上限を超えています")
    UNSAFE_PATH = "unsafe_path", _("ZIP内に危険なファイル名(絶対パスや .. を含む名前)があります")
    ENVELOPE_INVALID = "envelope_invalid", _("envelope.json がないか、形式が正しくありません")
    ENVELOPE_MISMATCH = (
        "envelope_mismatch",
        _("envelope.json の内容が署名された申請書と一致しません"),
    )
    ATTACHMENT_MISSING = "attachment_missing", _("署名された添付ファイルがZIP内にありません")
    ATTACHMENT_UNEXPECTED = (
        "attachment_unexpected",
        _("署名された申請書に記載のないファイルがあります"),
    )
    ATTACHMENT_DIGEST_MISMATCH = (
        "attachment_digest_mismatch",
        _("添付ファイルの内容が署名されたハッシュ値と一致しません"),
    )
    ATTACHMENT_NAME_COLLISION = (
        "attachment_name_collision",
        _("添付ファイルの名前が、正規化(NFC)と大文字小文字を無視すると重複しています"),
    )
    SUBMITTED_AT_OUT_OF_WINDOW = (
        "submitted_at_out_of_window",
        _(
            "到達日時(submitted_at)が取得時刻より古すぎます。到達日時を確かめてから受け付けてください"
        ),
    )
    XML_INVALID = "xml_invalid", _("申請書XMLがないか、XMLとして正しくありません")
    XML_FORBIDDEN = "xml_forbidden", _("申請書XMLに禁止された構文(DOCTYPE・実体参照など)があります")
    SIGNATURE_INVALID = "signature_invalid", _("電子署名を検証できません(改ざんの可能性があります)")
    SIGNATURE_ALGORITHM = "signature_algorithm", _("許可されていない署名方式または参照です")
    CERTIFICATE_UNTRUSTED = (
        "certificate_untrusted",
        _("署名用電子証明書が信頼できる認証局につながりません"),
    )
    CERTIFICATE_EXPIRED = (
        "certificate_expired",
        _("署名時点で署名用電子証明書の有効期限が切れています"),
    )
    CERTIFICATE_NOT_YET_VALID = (
        "certificate_not_yet_valid",
        _("署名時点で署名用電子証明書の有効期間が始まっていません"),
    )
    CERTIFICATE_REVOKED = "certificate_revoked", _("署名用電子証明書は署名時点で失効しています")
    CERTIFICATE_USAGE = "certificate_usage", _("署名用ではない証明書で署名されています")
    MUNICIPALITY_INVALID = (
        "municipality_invalid",
        _("地方公共団体コードが正しくありません(半角数字6桁・検査数字)"),
    )
    MUNICIPALITY_MISMATCH = (
        "municipality_mismatch",
        _("この団体あての申請ではありません(地方公共団体コードが異なります)"),
    )
    PROCEDURE_UNKNOWN = "procedure_unknown", _("手続IDまたは版が手続カタログにありません")
    PROCESSING_TIMEOUT = (
        "processing_timeout",
        _("検査が制限時間内に終わりませんでした(異常に重いデータの可能性があります)"),
    )
    STORAGE_REFUSED = (
        "storage_refused",
        _("データベースが値を受け付けませんでした(長すぎる値や使えない文字)"),
    )
    RECEIPT_CONFLICT = (
        "receipt_conflict",
        _("同じ受付番号で内容の異なる申請がすでに受け付けられています"),
    )


class Rejection(Exception):
    """A package that cannot be accepted; it goes to quarantine with this reason."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
