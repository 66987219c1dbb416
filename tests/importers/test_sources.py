"""iter_sources: folders, zip exports (Strava, nested Garmin), archive safety; hints; GPX/TCX specifics."""

from __future__ import annotations

import gzip
import io
import stat
import zipfile

import pytest

from runload.errors import ImportFormatError
from runload.importers import SourceHints, iter_sources, read_bytes
from runload.importers.gpx import read_gpx

FIT = "fitparse__2013-02-06-12-11-14.fit"
TCX = "runpandas__run_garmin.tcx"
GPX_GZ = "runpandas__run.gpx.gz"

STRAVA_CSV = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Filename,Activity Gear\n"
    '111,"Jun 1, 2017, 8:13:01 AM",Parkrun,Run,,1423,4.8,activities/111.gpx.gz,Pegasus 38\n'
    '222,"Feb 6, 2013, 12:11:14 PM",Lunch jog,Trail Run,,2625,4.8,activities/222.fit.gz,\n'
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def test_folder_by_content_and_skips(tmp_path, data_dir):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "run.dat").write_bytes((data_dir / FIT).read_bytes())
    (tmp_path / "a.tcx").write_bytes((data_dir / TCX).read_bytes())
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / ".hidden.fit").write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.fit").write_bytes(b"x")
    (tmp_path / "link.fit").symlink_to(tmp_path / "a.tcx")
    sources = list(iter_sources([tmp_path]))
    labels = [s.label.replace(str(tmp_path), "") for s in sources]
    assert labels == ["/a.tcx", "/b/run.dat", "/link.fit"]
    assert sources[2].error == "symbolic link (not followed)"
    assert read_bytes(sources[1].read())[0].distance_m == 4835.38
    assert sources[0].size == (data_dir / TCX).stat().st_size and sources[0].mtime


def test_strava_export_zip_hints(tmp_path, data_dir):
    fit_gz = gzip.compress((data_dir / FIT).read_bytes())
    export = _zip({
        "activities.csv": STRAVA_CSV.encode(),
        "activities/111.gpx.gz": (data_dir / GPX_GZ).read_bytes(),
        "activities/222.fit.gz": fit_gz,
        "profile.json": b"{}",
    })
    path = tmp_path / "export_123.zip"
    path.write_bytes(export)
    sources = list(iter_sources([path], SourceHints(tz="Europe/Paris")))
    assert [s.label for s in sources] == [f"{path}!activities/111.gpx.gz", f"{path}!activities/222.fit.gz"]
    assert sources[0].hints == SourceHints(sport="Run", name="Parkrun", gear="Pegasus 38", tz="Europe/Paris")
    (gpx,) = read_bytes(sources[0].read(), sources[0].hints)
    # the export's name wins over the GPX's own track name ("Running"); gear is filled; its undeclared
    # sport now comes from the export
    assert (gpx.sport, gpx.name, gpx.gear) == ("running", "Parkrun", "Pegasus 38")
    assert "sport from the export's activity list (Run)" in gpx.notes
    (fit,) = read_bytes(sources[1].read(), sources[1].hints)
    assert (fit.sport, fit.name, fit.gear) == ("running", "Lunch jog", None)  # FIT declares running itself


def test_strava_export_unzipped_folder(tmp_path, data_dir):
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities.csv").write_text(STRAVA_CSV)
    (tmp_path / "activities" / "111.gpx.gz").write_bytes((data_dir / GPX_GZ).read_bytes())
    source, missing = list(iter_sources([tmp_path]))
    assert source.hints.gear == "Pegasus 38" and source.hints.sport == "Run"
    # the row whose file is not in the export gives one refused source (one line in the import summary)
    assert missing.label == str(tmp_path / "activities" / "222.fit.gz")
    assert missing.error == "listed in activities.csv (Lunch jog) but the file is not in the export"


def test_nested_garmin_export_and_depth_limit(tmp_path, data_dir):
    inner = _zip({"run.fit": (data_dir / FIT).read_bytes()})
    outer = _zip({"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": inner})
    path = tmp_path / "garmin.zip"
    path.write_bytes(outer)
    (source,) = list(iter_sources([path]))
    assert source.label.endswith("UploadedFiles_0-_Part1.zip!run.fit") and source.error is None
    assert read_bytes(source.read())[0].distance_m == 4835.38
    three = _zip({"2.zip": _zip({"3.zip": _zip({"run.fit": b"x"})})})  # 3 levels: allowed
    path.write_bytes(three)
    (source,) = list(iter_sources([path]))
    assert source.error is None and source.label.endswith("garmin.zip!2.zip!3.zip!run.fit")
    path.write_bytes(_zip({"2.zip": _zip({"3.zip": _zip({"4.zip": _zip({"run.fit": b"x"})})})}))
    (source,) = list(iter_sources([path]))
    assert source.error == "archives nested too deeply; refused" and source.label.endswith("3.zip!4.zip")


def test_archive_safety(tmp_path, data_dir):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../evil.fit", b"x")
        zf.writestr("/abs.fit", b"x")
        zf.writestr("bomb.fit", b"\0" * (3 * 1024 * 1024))
        link = zipfile.ZipInfo("link.fit")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("ok.tcx", (data_dir / TCX).read_bytes())
    raw = bytearray(buffer.getvalue())
    path = tmp_path / "a.zip"
    path.write_bytes(raw)
    got = {s.label.split("!")[1]: s.error for s in iter_sources([path])}
    assert got["../evil.fit"].startswith("unsafe path") and got["/abs.fit"].startswith("unsafe path")
    assert "zip bomb" in got["bomb.fit"]
    assert got["link.fit"] == "symbolic link in archive; refused"
    assert got["ok.tcx"] is None


def test_encrypted_member_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo("secret.fit")
        zf.writestr(info, b"x" * 20)
    raw = bytearray(buffer.getvalue())
    # set the "encrypted" flag bit in the local and central headers
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        raw[at + offset] |= 0x01
    path = tmp_path / "enc.zip"
    path.write_bytes(bytes(raw))
    (source,) = list(iter_sources([path]))
    assert source.error == "encrypted archive member; refused"


def test_missing_path_is_reported(tmp_path):
    (source,) = list(iter_sources([tmp_path / "nope.fit"]))
    assert source.error == "no such file or folder"


def test_tcx_offline(data_dir):
    (act,) = read_bytes((data_dir / TCX).read_bytes())
    assert (act.sport, act.distance_m, act.moving_s, act.elapsed_s) == ("running", 2153.67, 816, 823)
    assert act.avg_hr_bpm == pytest.approx(142, abs=0.1)  # lap averages weighted by lap time
    assert act.device == "Garmin Forerunner 620" and act.has_gps


def test_gpx_offline_matches_gpxpy(data_dir):
    import gpxpy

    data = gzip.decompress((data_dir / GPX_GZ).read_bytes())
    (act,) = read_gpx(data)
    ref = gpxpy.parse(data.decode("utf-8"))
    assert act.distance_m == pytest.approx(ref.length_2d(), rel=1e-9)
    assert act.distance_m == pytest.approx(4812.22, abs=0.01) and act.moving_s == 1423 and act.elapsed_s == 1423
    assert act.moving_s == pytest.approx(ref.get_moving_data().moving_time, abs=1e-6)
    assert act.start_utc == ref.get_time_bounds().start_time
    assert act.ascent_m == pytest.approx(ref.get_uphill_downhill().uphill, rel=1e-9)


def test_gpx_hr_and_untyped_sport():
    gpx = b"""<?xml version="1.0"?>
<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1" xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
<trk><trkseg>
<trkpt lat="48.0" lon="11.0"><time>2024-01-01T10:00:00Z</time><extensions><ns3:TrackPointExtension><ns3:hr>140</ns3:hr></ns3:TrackPointExtension></extensions></trkpt>
<trkpt lat="48.0009" lon="11.0"><time>2024-01-01T10:00:30Z</time><extensions><ns3:TrackPointExtension><ns3:hr>150</ns3:hr></ns3:TrackPointExtension></extensions></trkpt>
<trkpt lat="48.0018" lon="11.0"><time>2024-01-01T10:01:00Z</time></trkpt>
</trkseg></trk></gpx>"""
    (act,) = read_gpx(gpx)
    assert act.avg_hr_bpm == 145 and act.hr_seconds_by_bpm == {140: 30.0, 150: 30.0}
    # 12 km/h fits a run, a ride or a fast hike alike, and no cadence is recorded: not settled
    assert act.sport == "unknown" and act.notes[0].startswith("sport not declared; speed fits a run, a ride")


def test_a_file_is_read_whole_even_when_it_grew_after_it_was_listed(tmp_path):
    """A watch folder's file may still be written: what it holds when it is read is read, up to the limit."""
    path = tmp_path / "run.fit"
    path.write_bytes(b"a" * 1000)
    (source,) = iter_sources([path], max_file_bytes=5000)
    assert source.size == 1000
    with open(path, "ab") as handle:
        handle.write(b"b" * 3000)
    assert source.read() == b"a" * 1000 + b"b" * 3000
    with open(path, "ab") as handle:
        handle.write(b"c" * 2000)  # now 6000 bytes, over the limit
    with pytest.raises(OSError, match="grew past"):
        source.read()
    path.write_bytes(b"d" * 10)  # shrunk: what is there
    assert source.read() == b"d" * 10


def test_a_fit_file_too_large_for_memory_is_refused_before_it_is_read(tmp_path, monkeypatch, data_dir):
    """A FIT file is read whole (about four bytes of memory a byte), so it may have a quarter of the file
    limit: a loose one over it is refused by its size and header alone, like any file over the limit, and
    read when the limit is raised; gzipped or in an archive, it is refused once decompressed."""
    from runload.importers import sources
    from runload.limits import FIT_MEMORY_PER_BYTE

    fit = (data_dir / FIT).read_bytes()
    (tmp_path / "run.fit").write_bytes(fit)
    (tmp_path / "notes.gpx").write_bytes(b"<gpx" + b" " * (len(fit) - 4))  # as large, not a FIT file
    limit = len(fit) * FIT_MEMORY_PER_BYTE - 1  # the FIT file is one byte over a quarter of it
    opened = []
    monkeypatch.setattr(sources, "_bounded_reader", lambda path, lim: opened.append(path.name) or (lambda: b""))
    by_name = {s.label.rsplit("/", 1)[-1]: s for s in iter_sources([tmp_path], max_file_bytes=limit)}
    assert by_name["run.fit"].error.startswith(sources.TOO_LARGE) and "--max-file-mb" in by_name["run.fit"].error
    assert by_name["notes.gpx"].error is None and opened == ["notes.gpx"]
    (raised,) = iter_sources([tmp_path / "run.fit"], max_file_bytes=limit + 1)
    assert raised.error is None
    monkeypatch.undo()

    import runload.importers

    for module in (sources, runload.importers):
        monkeypatch.setattr(module, "max_fit_bytes", lambda limit=None: len(fit) - 1)
    archive = tmp_path / "export.zip"
    archive.write_bytes(_zip({"a/run.fit": fit}))
    (in_zip,) = iter_sources([archive])
    with pytest.raises(ImportFormatError, match="FIT file may have"):
        in_zip.read()
    with pytest.raises(ImportFormatError, match="decompress it"):
        read_bytes(gzip.compress(fit))
    assert read_bytes(fit)  # loose and within the limit: read


def test_the_default_fit_limit_is_a_quarter_of_the_file_limit():
    """300 MB file limit -> 75 MB for a FIT file, as the README and the refusal say (worked by hand)."""
    from runload.importers.sources import fit_too_large
    from runload.limits import MAX_FILE_BYTES, max_fit_bytes

    assert MAX_FILE_BYTES == 300 * 2**20 and max_fit_bytes() == 75 * 2**20
    assert fit_too_large(75 * 2**20, max_fit_bytes(), "x") is None
    reason = fit_too_large(80_000_000, max_fit_bytes(), "raise it")
    assert reason == ("file of 80 MB is over the 75 MB a FIT file may have (read whole, it takes about 4 bytes "
                      "of memory a byte); refused (raise it)")
