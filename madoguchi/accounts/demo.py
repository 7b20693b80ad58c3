"""The demo municipality: departments from the catalog and one member of staff per persona."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from madoguchi.vocabulary import Role

from .models import Department, User


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    department_code: str | None
    role: Role


PERSONAS = (
    Persona("madoguchi", "窓口 花子", "kosodate", Role.COUNTER_CLERK),
    Persona("shinsa", "審査 一郎", "kosodate", Role.REVIEWER),
    Persona("kacho", "課長 四郎", "kosodate", Role.MANAGER),
    Persona("kaigo", "介護 次郎", "kaigo", Role.COUNTER_CLERK),
    Persona("kaigoshinsa", "介護 三郎", "kaigo", Role.REVIEWER),
    Persona("admin", "管理 太郎", None, Role.ADMINISTRATOR),
)


@transaction.atomic
def create_demo_staff() -> dict[str, str]:
    """Create the personas that do not exist yet, each with a fresh random password.

    Returns the passwords of the accounts created now; existing accounts keep theirs.
    """
    created: dict[str, str] = {}
    for persona in PERSONAS:
        if User.objects.filter(username=persona.username).exists():
            continue
        department = (
            Department.objects.get(code=persona.department_code)
            if persona.department_code
            else None
        )
        password = secrets.token_urlsafe(9)
        User.objects.create_user(
            username=persona.username,
            password=password,
            display_name=persona.display_name,
            department=department,
            role=persona.role,
            is_staff=persona.role == Role.ADMINISTRATOR,
        )
        created[persona.username] = password
    return created
