"""FIT importer: fitfast path, repairs, and the fitparse cross-check."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import pytest

from runload.errors import ImportFormatError, NotAnActivity
from runload.importers import SourceHints, check_plausible, read_bytes
from runload.importers.fit import fit_crc, read_fit_with_fitparse, scan_fit


def test_header_crc_zero_file_reads_without_notes(data_dir):
    # 14-byte header with header CRC 0x0000: fitfast 0.1.0 rejects its valid file CRC.
    (act,) = read_bytes((data_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes())
    assert act.start_utc == datetime(2013, 2, 6, 12, 11, 14, tzinfo=timezone.utc)
    assert (act.sport, act.distance_m, act.moving_s, act.avg_hr_bpm) == ("running", 4835.38, 2625.14, 147)
    assert act.device == "garmin fr110" and act.has_gps and not act.notes and act.recovered is None
    # seconds at each bpm add up to (about) the recorded time, pauses capped at 30 s
    assert sum(act.hr_seconds_by_bpm.values()) == pytest.approx(2625, rel=0.02)


def test_fit_crc_matches_stored_value(data_dir):
    data = (data_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes()
    assert fit_crc(data[:-2]) == int.from_bytes(data[-2:], "little")


def test_wrong_crc_is_read_with_a_note(data_dir):
    data = bytearray((data_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes())
    data[-1] ^= 0x10
    (act,) = read_bytes(bytes(data))
    assert act.distance_m == 4835.38
    assert "file checksum mismatch: the file may be damaged" in act.notes


def test_truncated_file_keeps_records_before_the_cut(data_dir):
    data = (data_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes()
    (act,) = read_bytes(data[:12000])
    assert act.recovered.startswith("file ends early (unexpected end of file after 12,000 bytes); kept the ")
    assert "rebuilt from its records" in act.recovered  # the session was at the end
    assert act.start_utc == datetime(2013, 2, 6, 12, 11, 14, tzinfo=timezone.utc)
    assert 0 < act.distance_m < 4835.38


def test_device_relative_times_use_local_clock_and_zone(data_dir):
    data = (data_dir / "fitparse__compressed-speed-distance.fit").read_bytes()
    (utc,) = read_bytes(data)
    # activity.local_timestamp 2012-02-13T12:21:03 local at the end, minus (end - start) 3887 s
    assert utc.start_utc == datetime(2012, 2, 13, 11, 16, 16, tzinfo=timezone.utc)
    assert "start time from the watch's local clock, time zone assumed UTC" in utc.notes
    (berlin,) = read_bytes(data, SourceHints(tz="Europe/Berlin"))
    assert berlin.start_utc == datetime(2012, 2, 13, 10, 16, 16, tzinfo=timezone.utc)
    assert "no GPS: distance from the watch" in berlin.notes
    assert (berlin.distance_m, berlin.moving_s, berlin.elapsed_s) == (10248.67, 3772.75, 3883.273)


def test_gzip_fit(data_dir):
    data = gzip.compress((data_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes())
    assert read_bytes(data)[0].distance_m == 4835.38
    assert read_bytes(gzip.compress(data))[0].distance_m == 4835.38
    with pytest.raises(ImportFormatError, match="more than twice"):
        read_bytes(gzip.compress(gzip.compress(data)))


def _fit_file_id_only(file_type: int) -> bytes:
    """A minimal valid FIT file holding one file_id message of ``file_type``."""
    body = bytes([0x40, 0, 0, 0, 0, 1, 0, 1, 0x00])  # definition: global 0, field 0 (type) enum 1 byte
    body += bytes([0x00, file_type])
    header = bytearray(bytes([14, 0x10]) + (2093).to_bytes(2, "little") + len(body).to_bytes(4, "little") + b".FIT")
    header += fit_crc(bytes(header)).to_bytes(2, "little")
    data = bytes(header) + body
    return data + fit_crc(data).to_bytes(2, "little")


def test_non_activity_fit_is_not_an_activity():
    with pytest.raises(NotAnActivity, match=r"not an activity \(FIT file type: monitoring_b\)"):
        read_bytes(_fit_file_id_only(32))
    with pytest.raises(NotAnActivity, match="settings"):
        read_bytes(_fit_file_id_only(2))


def test_scan_finds_the_structure(data_dir):
    data = (data_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes()
    segments, damage = scan_fit(data)
    assert damage is None and len(segments) == 1 and segments[0].complete and segments[0].records == 590


def _totals(acts):
    return [
        (a.start_utc, a.sport, a.sub_sport, round(a.distance_m or 0, 2), a.moving_s, a.elapsed_s,
         a.avg_hr_bpm and round(a.avg_hr_bpm, 1), a.has_gps, a.avg_cadence_per_min)
        for a in acts
    ]


def test_fitfast_and_fitparse_agree_offline(data_dir):
    for name in ("fitparse__2013-02-06-12-11-14.fit", "fitparse__compressed-speed-distance.fit"):
        data = (data_dir / name).read_bytes()
        assert _totals(read_bytes(data)) == _totals(read_fit_with_fitparse(data))


def _fit_files(real_dir):
    for path in sorted(real_dir.iterdir()):
        if path.name.lower().endswith((".fit", ".fit.gz")):
            yield path


def test_fitfast_and_fitparse_agree_on_every_real_file(real_dir):
    """Differential test: wherever fitparse reads a file without error, both paths agree."""
    compared = 0
    for path in _fit_files(real_dir):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        try:
            slow = read_fit_with_fitparse(data)
        except ImportFormatError:
            continue
        if slow[0].recovered:  # fitparse stopped early on damage; fitfast path reads more
            continue
        fast = read_bytes(data)
        slow = check_plausible(slow)  # read_bytes passes the plausibility door (caps moving > elapsed)
        assert _totals(fast) == _totals(slow), path.name
        assert [a.device for a in fast] == [a.device for a in slow], path.name
        compared += 1
    assert compared >= 18


def test_session_cadence_is_read_as_recorded(real_dir):
    """avg_cadence plus avg_fractional_cadence (1/128 steps), per minute as the file declares it."""
    (run,) = read_bytes((real_dir / "runpandas__run.fit").read_bytes())
    assert run.avg_cadence_per_min == 64 + 118 / 128  # strides/min: 130 steps/min
    (ride,) = read_bytes((real_dir / "fitparse__2019-02-17-062644-ELEMNT-297E-195-0.fit").read_bytes())
    assert ride.avg_cadence_per_min == 131.0  # no fraction recorded
    (no_sensor,) = read_bytes((real_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes())
    assert no_sensor.avg_cadence_per_min is None


def _framing(segments, damage):
    return [(s.start, s.header_size, s.data_size, s.complete, s.good_end, s.records) for s in segments], damage


def test_the_lean_scan_finds_the_framing_the_repair_walk_finds(real_dir, data_dir):
    """The full decode reuses the lean scan's segments and damage instead of walking the file again
    (:func:`scan_fit`): both must see the same framing, on every real FIT file and on cut, flipped
    and spliced copies of them."""
    import random

    from runload.importers.fit import _scan_lean

    rng = random.Random(13)
    files = sorted(p for p in [*real_dir.rglob("*.fit"), *data_dir.glob("*.fit")])
    assert files
    for path in files:
        data = path.read_bytes()
        variants = [data]
        for _ in range(8):
            b = bytearray(data)
            cut = rng.randrange(1, len(b))
            variants += [bytes(b[:cut]), bytes(b[:cut] + b[cut + rng.randint(1, 40):])]
            b[rng.randrange(len(b))] ^= 0xFF
            variants.append(bytes(b))
        for variant in variants:
            scan = _scan_lean(variant)
            assert _framing(scan.segments, scan.damage) == _framing(*scan_fit(variant)), path.name


def _naive_run(data: bytes, start: int, step: int, limit: int, header: int) -> int:
    """The length of a same-type header run, one message at a time (the reference for the sliced probes)."""
    mask = 0xE0 if header & 0x80 else 0xFF
    count, p = 0, start
    while p + step <= limit and data[p] & mask == header & mask:
        count, p = count + 1, p + step
    return count


@pytest.mark.parametrize("header", [0x05, 0x25, 0xA3, 0xBF])
def test_same_type_runs_are_measured_like_one_message_at_a_time(header):
    """Runs are measured on strided byte slices probed 16, 64, 256... messages at a time: a run ending
    anywhere (inside a probe, on a probe's edge, at the end of the data) has its exact length; for a
    compressed-timestamp header only the top three bits (its local type) must repeat."""
    from runload.importers.fit import _same_local_run

    step = 7
    other = 0x06 if header < 0x80 else 0xC3  # another local type in either header form
    for length in (1, 2, 15, 16, 17, 79, 80, 81, 335, 336, 337, 1400):
        heads = [header if header < 0x80 else (header & 0xE0) | (k % 32) for k in range(length)]
        body = b"".join(bytes((h,)) + bytes(range(1, step)) for h in heads)
        for tail, limit_cut in ((bytes((other,)) + bytes(step - 1), 0), (b"", 0), (bytes((header,)) * 3, 0)):
            data = body + tail
            limit = len(data) - limit_cut
            assert _same_local_run(data, 0, step, limit, header) == _naive_run(data, 0, step, limit, header)
            assert _same_local_run(data, 0, step, limit, header) == length


def test_a_cycle_of_types_taking_turns_is_counted_whole():
    """A record (local 0, 5 bytes) and an HRV message (local 1, 3 bytes) taking turns: the cycle run
    counts the whole repeats, and stops where either member's header changes."""
    from runload.importers.fit import _cycle_run

    defs = {0: (4, 20, 0), 1: (2, 78, -1), 2: (2, 22, -1)}
    cycle = bytes((0x00, 1, 2, 3, 4)) + bytes((0x01, 9, 9))
    for repeats in (2, 3, 16, 17, 70, 300):
        for breaker in (bytes((0x02, 7, 7)), bytes((0x00, 1, 2, 3, 4)) + bytes((0x02, 7, 7)), b""):
            data = cycle * repeats + breaker
            found = _cycle_run(data, 0, 5, 0x00, defs[0], len(data), defs, frozenset({18, 19}))
            assert found is not None
            cycles, period, members = found
            assert (cycles, period) == (repeats, 8)
            assert [(m[0], m[2]) for m in members] == [(0, 20), (5, 78)]
    # a single repeat is not a cycle
    data = cycle + bytes((0x02, 7, 7)) * 3
    assert _cycle_run(data, 0, 5, 0x00, defs[0], len(data), defs, frozenset({18, 19})) is None
