"""The floor of a 方式4 export: a process that reads the waiting records of one procedure
(the application's columns, its 宛名番号, its form and the form's sealed 個人番号, opened
with the keys in FLOOR_MY_NUMBER_KEYS — the bytes a core system needs carry the number, not
its mask), writes them in the catalog's columns as a CP932 CSV or, given the layout's byte
widths, as CP932 fixed-length records (each field padded with spaces, CRLF), and marks them
sent, in one transaction. Start-up included, as for `madoguchi export batch`; no framework.

    FLOOR_MY_NUMBER_KEYS=k1,k2 python bench/floors/export.py --database PATH|URL \
        --procedure-pk N --out FILE [--widths W1,W2,…]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, MultiFernet


def connect(database: str) -> tuple[Any, str]:
    if database.startswith("postgres"):
        import psycopg

        return psycopg.connect(database), "%s"
    return sqlite3.connect(database), "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--procedure-pk", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--widths", default="", help="fixed-length: each column's bytes")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")] if args.widths else None
    db, p = connect(args.database)
    cursor = db.cursor()
    query = f"SELECT definition FROM procedures_procedure WHERE id = {p}"  # noqa: S608
    cursor.execute(query, [args.procedure_pk])
    (definition,) = cursor.fetchone()
    definition = json.loads(definition) if isinstance(definition, str) else definition
    columns = [c["source"] for c in definition["export"]["columns"]]
    keys = MultiFernet([Fernet(k) for k in os.environ["FLOOR_MY_NUMBER_KEYS"].split(",")])
    cursor.execute(
        "SELECT d.id, a.receipt_number, a.submitted_at, r.atena_number, a.form,"  # noqa: S608
        " a.form_secrets"
        " FROM linking_delivery d JOIN applications_application a ON a.id = d.application_id"
        " LEFT JOIN residents_resident r ON r.id = a.resident_id"
        # What madoguchi held back for a clerk is not written by it either.
        f" WHERE d.state = 'pending' AND NOT d.held_back AND a.procedure_id = {p} ORDER BY a.id",
        [args.procedure_pk],
    )
    sent = []
    if widths is None:
        out: Any = open(args.out, "w", encoding="cp932", errors="replace", newline="")  # noqa: SIM115
        writer = csv.writer(out)
        writer.writerow([c["header"] for c in definition["export"]["columns"]])
        write: Callable[[list[Any]], object] = writer.writerow
    else:
        out = open(args.out, "wb")  # noqa: SIM115

        def write(values: list[Any]) -> object:
            # One encoding of the whole record (no value holds NUL), then each field padded.
            cells = "\x00".join(map(str, values)).encode("cp932", "replace").split(b"\x00")
            return out.write(b"".join(map(bytes.ljust, cells, widths)) + b"\r\n")

    with out:
        while rows := cursor.fetchmany(2000):
            for pk, receipt_number, submitted_at, atena_number, form, secrets in rows:
                form = json.loads(form) if isinstance(form, str) else form
                if secrets is not None:
                    form = form | json.loads(keys.decrypt(bytes(secrets)))
                values = {
                    "application.receipt_number": receipt_number,
                    "application.submitted_date": str(submitted_at)[:10],
                    "resident.atena_number": atena_number or "",
                }
                write([values.get(c, form.get(c.removeprefix("form."), "")) for c in columns])
                sent.append(pk)
    update = db.cursor()
    for start in range(0, len(sent), 2000):
        chunk = sent[start : start + 2000]
        marks = ", ".join([p] * len(chunk))
        update.execute(f"UPDATE linking_delivery SET state = 'sent' WHERE id IN ({marks})", chunk)  # noqa: S608
    db.commit()


if __name__ == "__main__":
    main()
