from enum import IntEnum

from django.utils.translation import gettext_lazy as _


class AuditAction(IntEnum):
    """Audit event kinds. The numbers are stored: never renumber or reuse one."""

    LOGIN_SUCCEEDED = 10
    LOGIN_FAILED = 11
    LOGOUT = 12
    SECOND_FACTOR_ENROLLED = 13
    SECOND_FACTOR_FAILED = 14
    LOGOUT_EVERYWHERE = 15
    SECOND_FACTOR_LOCKED = 16
    SECOND_FACTOR_RESET = 17
    API_TOKEN_ISSUED = 18
    STAFF_CREATED = 19
    STAFF_UPDATED = 20
    STAFF_MOVE_SCHEDULED = 21
    STAFF_MOVED = 22
    STAFF_DISABLED = 23
    STAFF_ENABLED = 24
    PASSWORD_RESET = 25
    PASSWORD_CHANGED = 26
    SESSION_EXPIRED = 27
    DEPARTMENT_CREATED = 28
    DEPARTMENT_RENAMED = 29
    DEPARTMENTS_MERGED = 30
    PROCEDURE_ASSIGNED = 31
    STAFF_MOVE_CANCELLED = 32
    APPLICATION_RECEIVED = 100
    APPLICATION_QUARANTINED = 101
    QUARANTINE_REPROCESSED = 102
    CORRECTION_RECEIVED = 103
    CORRECTION_HELD = 104
    CORRECTION_ACCEPTED = 105
    APPLICATION_FILED = 106
    PAPER_SIGNATURE_RECEIVED = 107
    APPLICATION_VIEWED = 200
    MY_NUMBER_VIEWED = 201
    PACKAGE_DOWNLOADED = 202
    APPLICATION_STATUS_CHANGED = 300
    IDENTIFICATION_CHANGED = 301
    APPLICATION_ASSIGNED = 302
    DUPLICATE_SUSPECTED = 303
    DUPLICATE_SETTLED = 304
    DECISION_DRAFTED = 305
    DECISION_APPROVED = 306
    DECISION_RETURNED = 307
    DECISION_POST_REVIEWED = 308
    COMMENT_ADDED = 309
    RECORD_DOWNLOADED = 203
    ATTACHMENT_VIEWED = 204
    AUDIT_LOG_EXPORTED = 205
    APPLICATION_LIST_EXPORTED = 206
    RESIDENTS_SEARCHED = 207
    APPLICATION_PRINTED = 208
    RECEIPTS_REGISTER_WRITTEN = 209
    LETTER_SENT = 210
    LETTER_RETURNED = 211
    LETTERS_DOWNLOADED = 212
    APPLICATIONS_EXPORTED = 400
    HANDOFF_ACKNOWLEDGED = 401
    HANDOFF_FAILED = 402
    HANDOFF_RESENT = 403
    HANDOFF_RECORD_FETCHED = 404
    HANDOFF_RESULTS_IMPORTED = 405
    CORE_SYSTEM_TOKEN_ISSUED = 406
    GAIJI_CHANGED = 407
    HANDOFF_PACKAGE_FETCHED = 408
    TRUST_ANCHOR_ADDED = 500
    CRL_LOADED = 501
    RESIDENTS_LOADED = 600
    REGISTRY_GAIJI_CHANGED = 601
    HELD_ROWS_LOADED = 602
    RETENTION_PURGED = 700
    APPLICANT_TEXT_CHANGED = 800
    DOCUMENT_SETTINGS_CHANGED = 801
    APPROVAL_ROUTE_CHANGED = 802
    CARD_ISSUANCE_LOADED = 900
    MEETING_CREATED = 1000
    MEETING_AUDIO_ADDED = 1001
    MEETING_SEGMENT_EDITED = 1002
    MEETING_FIXED = 1003
    MEETING_AUDIO_DELETED = 1004
    MEETING_PURGED = 1005
    MEETING_EXPORTED = 1006
    MEETING_TRANSLATION_ASKED = 1007

    @property
    def label(self) -> str:
        return str(AUDIT_LABELS[self])


AUDIT_LABELS = {
    AuditAction.LOGIN_SUCCEEDED: _("ログイン"),
    AuditAction.LOGIN_FAILED: _("ログイン失敗"),
    AuditAction.LOGOUT: _("ログアウト"),
    AuditAction.SECOND_FACTOR_ENROLLED: _("二要素認証の登録"),
    AuditAction.SECOND_FACTOR_FAILED: _("二要素認証の失敗"),
    AuditAction.LOGOUT_EVERYWHERE: _("すべての端末からログアウト"),
    AuditAction.SECOND_FACTOR_LOCKED: _("二要素認証のロック"),
    AuditAction.SECOND_FACTOR_RESET: _("二要素認証のリセット"),
    AuditAction.API_TOKEN_ISSUED: _("職員用APIトークン発行"),
    AuditAction.STAFF_CREATED: _("職員の登録"),
    AuditAction.STAFF_UPDATED: _("職員情報の変更"),
    AuditAction.STAFF_MOVE_SCHEDULED: _("人事異動の登録"),
    AuditAction.STAFF_MOVED: _("人事異動の発令"),
    AuditAction.STAFF_DISABLED: _("職員の無効化"),
    AuditAction.STAFF_ENABLED: _("職員の再有効化"),
    AuditAction.PASSWORD_RESET: _("パスワードのリセット"),
    AuditAction.PASSWORD_CHANGED: _("パスワードの変更"),
    AuditAction.SESSION_EXPIRED: _("操作がないためのログアウト"),
    AuditAction.DEPARTMENT_CREATED: _("所属の追加"),
    AuditAction.DEPARTMENT_RENAMED: _("所属名の変更"),
    AuditAction.DEPARTMENTS_MERGED: _("所属の統合"),
    AuditAction.PROCEDURE_ASSIGNED: _("手続の担当所属の変更"),
    AuditAction.STAFF_MOVE_CANCELLED: _("人事異動の取消"),
    AuditAction.APPLICATION_RECEIVED: _("申請受付"),
    AuditAction.APPLICATION_QUARANTINED: _("隔離"),
    AuditAction.QUARANTINE_REPROCESSED: _("隔離データの再処理"),
    AuditAction.CORRECTION_RECEIVED: _("補正の回答の受付"),
    AuditAction.CORRECTION_HELD: _("補正の回答の保留(署名者が異なる)"),
    AuditAction.CORRECTION_ACCEPTED: _("保留した補正の回答の採用"),
    AuditAction.APPLICATION_FILED: _("窓口・郵送の申請の受付"),
    AuditAction.PAPER_SIGNATURE_RECEIVED: _("署名済の申請書の受領"),
    AuditAction.APPLICATION_VIEWED: _("申請閲覧"),
    AuditAction.MY_NUMBER_VIEWED: _("個人番号閲覧"),
    AuditAction.PACKAGE_DOWNLOADED: _("申請データのダウンロード"),
    AuditAction.APPLICATION_STATUS_CHANGED: _("ステータス変更"),
    AuditAction.IDENTIFICATION_CHANGED: _("本人特定の変更"),
    AuditAction.APPLICATION_ASSIGNED: _("担当者の割当"),
    AuditAction.DUPLICATE_SUSPECTED: _("重複の可能性"),
    AuditAction.DUPLICATE_SETTLED: _("重複の確認"),
    AuditAction.DECISION_DRAFTED: _("決裁の起案"),
    AuditAction.DECISION_APPROVED: _("決裁の承認"),
    AuditAction.DECISION_RETURNED: _("決裁の差戻し"),
    AuditAction.DECISION_POST_REVIEWED: _("後閲"),
    AuditAction.COMMENT_ADDED: _("内部コメント"),
    AuditAction.RECORD_DOWNLOADED: _("連携データのダウンロード"),
    AuditAction.ATTACHMENT_VIEWED: _("添付ファイルの閲覧"),
    AuditAction.AUDIT_LOG_EXPORTED: _("監査ログのダウンロード"),
    AuditAction.APPLICATION_LIST_EXPORTED: _("申請一覧のダウンロード"),
    AuditAction.RESIDENTS_SEARCHED: _("住民記録の検索"),
    AuditAction.APPLICATION_PRINTED: _("申請の印刷"),
    AuditAction.RECEIPTS_REGISTER_WRITTEN: _("受付簿の出力"),
    AuditAction.LETTER_SENT: _("通知書の発送"),
    AuditAction.LETTER_RETURNED: _("通知書の返戻"),
    AuditAction.LETTERS_DOWNLOADED: _("通知書・発送簿のダウンロード"),
    AuditAction.APPLICATIONS_EXPORTED: _("基幹連携ファイル出力"),
    AuditAction.HANDOFF_ACKNOWLEDGED: _("基幹システム取込済"),
    AuditAction.HANDOFF_FAILED: _("基幹連携の失敗"),
    AuditAction.HANDOFF_RESENT: _("基幹連携の再送"),
    AuditAction.HANDOFF_RECORD_FETCHED: _("基幹システムによる取得"),
    AuditAction.HANDOFF_PACKAGE_FETCHED: _("基幹システムによる申請ZIPの取得"),
    AuditAction.HANDOFF_RESULTS_IMPORTED: _("取込結果の読込"),
    AuditAction.CORE_SYSTEM_TOKEN_ISSUED: _("基幹システム用トークン発行"),
    AuditAction.GAIJI_CHANGED: _("外字表の変更"),
    AuditAction.TRUST_ANCHOR_ADDED: _("トラストアンカー追加"),
    AuditAction.CRL_LOADED: _("CRL読込"),
    AuditAction.RESIDENTS_LOADED: _("番号紐付情報読込"),
    AuditAction.REGISTRY_GAIJI_CHANGED: _("住基の外字表の変更"),
    AuditAction.HELD_ROWS_LOADED: _("保留していた住基の行の読込"),
    AuditAction.RETENTION_PURGED: _("保存期間経過による削除"),
    AuditAction.APPLICANT_TEXT_CHANGED: _("申請者への文面の変更"),
    AuditAction.DOCUMENT_SETTINGS_CHANGED: _("帳票設定の変更"),
    AuditAction.APPROVAL_ROUTE_CHANGED: _("決裁ルートの設定"),
    AuditAction.CARD_ISSUANCE_LOADED: _("マイナンバーカード交付状況の読込"),
    AuditAction.MEETING_CREATED: _("会議の登録"),
    AuditAction.MEETING_AUDIO_ADDED: _("会議の音声の追加"),
    AuditAction.MEETING_SEGMENT_EDITED: _("会議録の修正"),
    AuditAction.MEETING_FIXED: _("会議録の確定"),
    AuditAction.MEETING_AUDIO_DELETED: _("会議の音声の削除"),
    AuditAction.MEETING_PURGED: _("会議録の削除 (保存期間経過)"),
    AuditAction.MEETING_EXPORTED: _("会議録の出力"),
    AuditAction.MEETING_TRANSLATION_ASKED: _("会議録の英訳の依頼"),
}
