from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from madoguchi.accounts.models import User


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ApplicationQuerySet:
        """The department boundary: staff see their own department's procedures only."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_departments:
            return self
        if user.department_id is None:
            return self.none()
        return self.filter(procedure__department_id=user.department_id)

    def search(self, text: str) -> ApplicationQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(receipt_number__iexact=text)
            | Q(applicant_name__icontains=text)
            | Q(applicant_kana__icontains=text)
            | Q(resident__atena_number=text)
        )
