#!/usr/bin/env python3
"""The ceiling beside our lead intake: the rows one accepted lead writes,
committed by a plain client with nothing else in the way.

scripts/bench-ceiling.sh prepares a database with the real schema
(`agencyflow migrate`), one workspace with a 3-step workflow, and one lead
accepted by the real server. This script copies that lead's rows — the
contact, its deal, the submission, the lead counter's upsert, the events and
the jobs the intake transaction wrote — with fresh ids and unique email and
phone, N times: one transaction per lead, then BATCH leads per transaction.
It prints leads/s for each. Same pragmas as the server on SQLite (WAL,
synchronous=NORMAL, foreign keys on); default settings on PostgreSQL
(synchronous_commit=on), as the server uses.

    bench_ceiling.py sqlite /path/to/bench.db LEADS BATCH
    bench_ceiling.py postgres postgres://postgres@127.0.0.1:5432/db LEADS BATCH
"""

import sys
import time
import uuid

# What one intake transaction writes, by table: the lead's own rows are found
# through the submission (contact_id, deal_id) and the time of its commit.
LEAD_TABLES = ["contacts", "deals", "form_submissions", "events", "jobs"]


class Backend:
    def __init__(self, kind, target):
        self.kind = kind
        if kind == "sqlite":
            # The schema's FTS5 index (contentless_delete) needs SQLite
            # 3.43+, newer than many systems' Python links: pysqlite3-binary
            # bundles a current SQLite (bench-ceiling.sh installs it).
            try:
                import pysqlite3 as sqlite3
            except ImportError:
                import sqlite3

            self.conn = sqlite3.connect(target, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(target, autocommit=True)
            self.mark = "%s"

    def rows(self, sql, args=()):
        cur = self.conn.execute(sql.replace("$", self.mark), args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def new_id(self):
        u = uuid.uuid4()
        return u.bytes if self.kind == "sqlite" else u

    def begin(self):
        self.conn.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")

    def commit(self):
        self.conn.execute("COMMIT")

    def insert(self, table, row):
        cols = list(row)
        sql = 'INSERT INTO "%s" (%s) VALUES (%s)' % (
            table,
            ", ".join('"%s"' % c for c in cols),
            ", ".join([self.mark] * len(cols)),
        )
        self.conn.execute(sql, [row[c] for c in cols])

    def next_lead_number(self, ws):
        sql = (
            "INSERT INTO lead_counters (workspace_id, last_number) VALUES ($, 1) "
            "ON CONFLICT (workspace_id) DO UPDATE SET last_number = lead_counters.last_number + 1 "
            "RETURNING last_number"
        ).replace("$", self.mark)
        return self.conn.execute(sql, [ws]).fetchone()[0]


def template(db):
    """The first lead's rows: what each copy writes."""
    sub = db.rows("SELECT * FROM form_submissions ORDER BY created_at LIMIT 1")[0]
    contact = db.rows("SELECT * FROM contacts WHERE id = $", [sub["contact_id"]])[0]
    deal = db.rows("SELECT * FROM deals WHERE id = $", [sub["deal_id"]])[0]
    # The intake's events and the jobs its commit enqueued (dispatch only:
    # steps and sends come later, from the engine).
    events = db.rows(
        "SELECT * FROM events WHERE kind IN ('contact.created', 'deal.created', 'form.submitted', 'lead.created') "
        "ORDER BY occurred_at LIMIT 4"
    )
    jobs = db.rows("SELECT * FROM jobs WHERE kind = 'dispatch_event' ORDER BY created_at LIMIT 2")
    return sub, contact, deal, events, jobs


def write_lead(db, n, t):
    sub, contact, deal, events, jobs = t
    cid, did = db.new_id(), db.new_id()
    c = dict(contact, id=cid)
    email = "ceiling%d@bench.example" % n
    for k in ("email", "email_key"):
        if k in c and c[k] is not None:
            c[k] = email
    if c.get("phone"):
        c["phone"] = "+5255%08d" % (n % 100000000)
    db.insert("contacts", c)
    db.insert("deals", dict(deal, id=did, contact_id=cid))
    number = db.next_lead_number(sub["workspace_id"])
    db.insert("form_submissions", dict(sub, id=db.new_id(), contact_id=cid, deal_id=did, lead_number=number))
    for e in events:
        db.insert("events", dict(e, id=db.new_id()))
    for j in jobs:
        db.insert("jobs", dict(j, id=db.new_id(), dedupe_key=None))


def run(db, t, start, leads, batch):
    began = time.perf_counter()
    n = start
    while n < start + leads:
        db.begin()
        for _ in range(min(batch, start + leads - n)):
            write_lead(db, n, t)
            n += 1
        db.commit()
    return leads / (time.perf_counter() - began)


def main():
    kind, target, leads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    db = Backend(kind, target)
    t = template(db)
    per_lead = 3 + 1 + len(t[3]) + len(t[4])
    print("%s: %d statements per lead (%d events, %d jobs)" % (kind, per_lead, len(t[3]), len(t[4])))
    one = run(db, t, 1_000_000, leads, 1)
    print("%s: one transaction per lead: %.0f leads/s" % (kind, one))
    many = run(db, t, 2_000_000, leads, batch)
    print("%s: %d leads per transaction: %.0f leads/s" % (kind, batch, many))


if __name__ == "__main__":
    main()
