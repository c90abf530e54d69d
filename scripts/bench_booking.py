#!/usr/bin/env python3
"""Helpers for scripts/bench-booking.sh (standard library only).

  bench_booking.py calendar BASE KEY SLUG HORIZON   create the 20-host calendar, print its id
  bench_booking.py seed BASE KEY CAL PER_HOST       book PER_HOST bookings for each of the 20
                                                    hosts through the API (8 at a time)
  bench_booking.py starts BASE KEY CAL FROM TO FILE write every free slot start, once per
                                                    free host, to FILE (for booking.lua)
"""
import datetime as dt
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ZONE = "America/Mexico_City"
HOSTS = 20


def call(base, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def create_calendar(base, key, slug, horizon):
    windows = [w for d in range(1, 8) for w in (
        {"weekday": d, "start": "09:00", "end": "13:00"},
        {"weekday": d, "start": "15:00", "end": "19:00"})]
    body = {"name": "Bench round robin", "slug": slug, "time_zone": ZONE,
            "duration_minutes": 30, "buffer_after_minutes": 15, "slot_interval_minutes": 15,
            "min_notice_minutes": 0, "horizon_days": int(horizon),
            "policy": "equal_distribution", "availability": windows,
            "hosts": [{"user": f"host{i}@bench.example", "daily_cap": 8} for i in range(HOSTS)]}
    status, out = call(base, key, "POST", "/api/v1/calendars", body)
    if status != 201:
        sys.exit(f"calendar: {status} {out}")
    print(out["id"])


def seed(base, key, cal, per_host):
    """Books 7 times a day (every 45 minutes, both windows), each time once
    per host, from tomorrow on, until HOSTS × per_host bookings exist."""
    total = HOSTS * int(per_host)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    times = ["09:00", "09:45", "10:30", "11:15", "12:00", "15:00", "15:45", "16:30"]
    starts = []
    day = 0
    while len(starts) < total:
        d = tomorrow + dt.timedelta(days=day)
        for t in times[:7]:
            starts += [f"{d.isoformat()}T{t}:00-06:00"] * HOSTS
        day += 1
    starts = starts[:total]

    def book(i_start):
        i, start = i_start
        body = {"start": start, "name": f"Invitee {i}", "email": f"invitee{i}@bench.example"}
        return call(base, key, "POST", f"/api/v1/calendars/{cal}/bookings", body)[0]

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(book, enumerate(starts)))
    bad = [c for c in codes if c != 201]
    print(f"seeded {codes.count(201)} bookings ({len(bad)} refused: {sorted(set(bad))})")
    if len(bad) > total // 100:
        sys.exit("too many refused bookings")


def starts(base, key, cal, frm, to, path):
    status, out = call(base, key, "GET", f"/api/v1/calendars/{cal}/slots?from={frm}&to={to}")
    if status != 200:
        sys.exit(f"slots: {status} {out}")
    # Only starts on a 45-minute grid from each window's opening (the held
    # time is 45 minutes), at most 8 a day (the hosts' daily cap): then
    # every listed (time, host) pair can be booked whatever the order.
    grid = {"09:00", "09:45", "10:30", "11:15", "12:00", "15:00", "15:45", "16:30"}
    pairs = 0
    with open(path, "w") as f:
        for s in out["slots"]:
            if s["start"][11:16] in grid:
                f.write((s["start"] + "\n") * s["hosts_free"])
                pairs += s["hosts_free"]
    print(f"{pairs} bookable (time, host) pairs")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"calendar": create_calendar, "seed": seed, "starts": starts}[cmd](*args)
