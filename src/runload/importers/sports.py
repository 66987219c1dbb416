"""Map the sport words of FIT, TCX, GPX and Strava exports onto runload's sports.

Every importer calls :func:`normalise_sport` with whatever the file says and
gets back ``(sport, sub_sport)`` where ``sport`` is one of
:data:`runload.models.SPORTS` (or ``None`` when the file declares nothing) and
``sub_sport`` a short lower-case word (``treadmill``, ``trail``, ``road``,
``indoor``, ``virtual``, ``open_water`` ...) or ``None``. A declared sport is
final (FIT sport/sub-sport, TCX ``Sport`` including ``Other``, GPX ``<type>``
words in several languages and Strava's numeric codes, Strava's Activity Type).

An activity that declares nothing goes to :func:`classify_undeclared`, which
looks at its own evidence (see docs/method.md, "Sport of an undeclared
activity"):

1. a sport word in its title (Strava's default names: "Afternoon Run",
   "Morning Ride");
2. its average moving speed [km/h] and, where recorded, its average cadence
   [1/min] as the file writes it.

What the evidence shows about cadence in real files: GPX ``cad`` and TCX
``RunCadence`` of runs hold *strides* per minute (half the step rate: 85-105 in
every real run file we checked), exactly the range of pedalling cadence in
revolutions per minute (60-110; TCX ``Cadence`` of a ride: 76). So the raw value
separates running from cycling only when it is written as steps per minute
(>= :data:`RUN_STEPS_MIN_PER_MIN`, a rate no cyclist holds on average); a value
below :data:`WALK_STRIDES_MAX_PER_MIN` is a walking (or skiing) stride rate.
Bounds and their sources:

* running speed :data:`RUN_SPEED_MIN_KMH`-:data:`RUN_SPEED_MAX_KMH` km/h: a
  10 min/km jog to above the men's 10 km world record pace (~22.9 km/h);
* running step rate >= 140 steps/min: recreational runners run at 150-190
  steps/min (Heiderscheit et al. 2011, Med Sci Sports Exerc 43:296), walkers
  walk at 100-130 (Tudor-Locke et al. 2018, Br J Sports Med 52:776);
* pedalling cadence 60-110 rpm (Lucia et al. 2001, Med Sci Sports Exerc
  33:1361: professional cyclists ~90 rpm);
* walking stride rate 50-65 strides/min (= 100-130 steps/min, Tudor-Locke).

Speed alone does not settle anything between 6 and 25 km/h (a jog, a slow
ride, a fast hike and a ski tour all fit), so such an activity without a
step-rate cadence or a title word is stored as ``unknown``: never counted as
running, listed by ``runload import`` with how to set its sport.
"""

from __future__ import annotations

import math
import re

from runload.models import SPORTS

#: Slowest and fastest average moving speeds [km/h] a run can have (10 min/km jog .. faster than the
#: 10 km world record pace, ~22.9 km/h, with margin for GPS noise).
RUN_SPEED_MIN_KMH = 6.0
RUN_SPEED_MAX_KMH = 25.0
#: Average cadence [1/min] at or above which a file's cadence can only be a running step rate.
RUN_STEPS_MIN_PER_MIN = 140.0
#: Average cadence [1/min] below which it is a walking/skiing stride rate (<= 130 steps/min), not a run.
WALK_STRIDES_MAX_PER_MIN = 65.0
#: Average moving speeds [km/h] of a walk or hike (a stroll .. race walking).
WALK_SPEED_MIN_KMH = 2.0
WALK_SPEED_MAX_KMH = 8.0
#: Above this average speed [km/h] nobody pedals on average for long either (hour record 56.8 km/h):
#: an undeclared activity this fast is a vehicle or bad data, kept as unknown.
CYCLE_SPEED_MAX_KMH = 60.0
#: Cadence range [1/min] of pedalling (60-110 rpm) with margin.
PEDAL_CADENCE_MIN_PER_MIN = 50.0
PEDAL_CADENCE_MAX_PER_MIN = 130.0

#: The fastest average moving speed [km/h] a human reaches per sport, for the plausibility check at import
#: (docs/method.md, "Plausibility at the door"): above it the file's numbers are wrong, not the athlete.
#: running: 100 m world record average 37.6 km/h, top speed 44.7 km/h; walking/hiking: race walking
#: ~15 km/h; swimming: 50 m freestyle record ~8.6 km/h; rowing/paddling: 2000 m record ~22 km/h;
#: cycling: paced/downhill records aside, 150 km/h; other sports (downhill skiing, speed skiing record
#: 255 km/h) and unknown: 260 km/h.
MAX_HUMAN_SPEED_KMH = {
    "running": 45.0,
    "walking": 20.0,
    "hiking": 20.0,
    "swimming": 12.0,
    "rowing": 30.0,
    "cycling": 150.0,
    "transition": 150.0,
    "fitness": 150.0,
    "other": 260.0,
    "unknown": 260.0,
}

#: FIT ``sub_sport`` enum names -> runload sub-sport.
_FIT_SUB_SPORTS = {
    "street": "road",
    "indoor_running": "indoor",
    "virtual_activity": "virtual",
    "indoor_cycling": "indoor",
    "indoor_walking": "indoor",
    "indoor_rowing": "indoor",
    "treadmill": "treadmill",
    "trail": "trail",
    "track": "track",
    "road": "road",
    "generic": "generic",
    "open_water": "open_water",
    "lap_swimming": "lap_swimming",
    "mountain": "mountain",
    "gravel_cycling": "gravel",
    "e_bike_fitness": "e_bike",
    "spin": "indoor",
}

#: Words (lower case, spaces/underscores/hyphens removed) -> (sport, sub_sport).
#: Covers FIT sport names, TCX ``Sport`` attribute values, GPX ``<type>`` words
#: (Garmin, Strava, Komoot, RunKeeper...) and Strava ``Activity Type`` values.
_WORDS: dict[str, tuple[str, str | None]] = {
    # running
    "running": ("running", None),
    "run": ("running", None),
    "jogging": ("running", None),
    "jog": ("running", None),
    "trailrun": ("running", "trail"),
    "trailrunning": ("running", "trail"),
    "virtualrun": ("running", "virtual"),
    "virtualrunning": ("running", "virtual"),
    "treadmill": ("running", "treadmill"),
    "treadmillrunning": ("running", "treadmill"),
    "indoorrunning": ("running", "indoor"),
    "indoorrun": ("running", "indoor"),
    "trackrunning": ("running", "track"),
    "streetrunning": ("running", "road"),
    "roadrunning": ("running", "road"),
    # cycling
    "cycling": ("cycling", None),
    "biking": ("cycling", None),
    "bike": ("cycling", None),
    "ride": ("cycling", None),
    "roadbiking": ("cycling", "road"),
    "roadcycling": ("cycling", "road"),
    "mountainbiking": ("cycling", "mountain"),
    "mountainbikeride": ("cycling", "mountain"),
    "gravelride": ("cycling", "gravel"),
    "ebikeride": ("cycling", "e_bike"),
    "emountainbikeride": ("cycling", "e_bike"),
    "virtualride": ("cycling", "virtual"),
    "indoorcycling": ("cycling", "indoor"),
    "velomobile": ("cycling", None),
    "handcycle": ("cycling", None),
    # swimming
    "swimming": ("swimming", None),
    "swim": ("swimming", None),
    "openwaterswimming": ("swimming", "open_water"),
    "lapswimming": ("swimming", "lap_swimming"),
    # walking / hiking
    "walking": ("walking", None),
    "walk": ("walking", None),
    "hiking": ("hiking", None),
    "hike": ("hiking", None),
    "snowshoe": ("hiking", "snowshoe"),
    # rowing
    "rowing": ("rowing", None),
    "row": ("rowing", None),
    "indoorrowing": ("rowing", "indoor"),
    "canoeing": ("rowing", "canoe"),
    "kayaking": ("rowing", "kayak"),
    # transition (multisport)
    "transition": ("transition", None),
    # fitness
    "training": ("fitness", None),
    "fitnessequipment": ("fitness", None),
    "weighttraining": ("fitness", "strength"),
    "workout": ("fitness", None),
    "crossfit": ("fitness", None),
    "elliptical": ("fitness", "elliptical"),
    "stairstepper": ("fitness", "stair_climbing"),
    "yoga": ("fitness", "yoga"),
    "pilates": ("fitness", "pilates"),
    "hiit": ("fitness", "hiit"),
    # everything else: other
    "other": ("other", None),
    "generic": ("other", None),
    "alpineski": ("other", "alpine_skiing"),
    "alpineskiing": ("other", "alpine_skiing"),
    "backcountryski": ("other", "backcountry_skiing"),
    "nordicski": ("other", "cross_country_skiing"),
    "crosscountryskiing": ("other", "cross_country_skiing"),
    "iceskate": ("other", "ice_skating"),
    "inlineskate": ("other", "inline_skating"),
    "rockclimbing": ("other", "rock_climbing"),
    "snowboard": ("other", "snowboarding"),
    "snowboarding": ("other", "snowboarding"),
    "surfing": ("other", "surfing"),
    "kitesurf": ("other", "kitesurfing"),
    "windsurf": ("other", "windsurfing"),
    "standuppaddling": ("other", "sup"),
    "golf": ("other", "golf"),
    "soccer": ("other", "soccer"),
    "wheelchair": ("other", "wheelchair"),
    "skateboard": ("other", "skateboard"),
    "sail": ("other", "sailing"),
    "multisport": ("other", "multisport"),
    # common words of other languages (GPX <type>, app exports); lower case, no spaces
    "laufen": ("running", None),  # de
    "lauf": ("running", None),
    "joggen": ("running", None),
    "dauerlauf": ("running", None),
    "hardlopen": ("running", None),  # nl
    "courseapied": ("running", None),  # fr
    "course": ("running", None),
    "footing": ("running", None),
    "correr": ("running", None),  # es, pt
    "carrera": ("running", None),
    "corrida": ("running", None),
    "corsa": ("running", None),  # it
    "löpning": ("running", None),  # sv
    "løb": ("running", None),  # da
    "løping": ("running", None),  # no
    "juoksu": ("running", None),  # fi
    "bieganie": ("running", None),  # pl
    "бег": ("running", None),  # ru
    "radfahren": ("cycling", None),
    "radfahrt": ("cycling", None),
    "fahrrad": ("cycling", None),
    "radtour": ("cycling", None),
    "rennrad": ("cycling", "road"),
    "fietsen": ("cycling", None),
    "wielrennen": ("cycling", "road"),
    "velo": ("cycling", None),
    "vélo": ("cycling", None),
    "cyclisme": ("cycling", None),
    "ciclismo": ("cycling", None),
    "bicicleta": ("cycling", None),
    "cykling": ("cycling", None),
    "pyöräily": ("cycling", None),
    "kolarstwo": ("cycling", None),
    "schwimmen": ("swimming", None),
    "zwemmen": ("swimming", None),
    "natation": ("swimming", None),
    "natación": ("swimming", None),
    "natacion": ("swimming", None),
    "nuoto": ("swimming", None),
    "simning": ("swimming", None),
    "gehen": ("walking", None),
    "spaziergang": ("walking", None),
    "wandelen": ("walking", None),
    "marche": ("walking", None),
    "caminar": ("walking", None),
    "caminata": ("walking", None),
    "camminata": ("walking", None),
    "wandern": ("hiking", None),
    "wanderung": ("hiking", None),
    "bergwandern": ("hiking", None),
    "randonnée": ("hiking", None),
    "randonnee": ("hiking", None),
    "senderismo": ("hiking", None),
    "escursionismo": ("hiking", None),
    "trekking": ("hiking", None),
    "vandring": ("hiking", None),
    "rudern": ("rowing", None),
    "roeien": ("rowing", None),
    "aviron": ("rowing", None),
    "remo": ("rowing", None),
    "langlauf": ("other", "cross_country_skiing"),
    "skilanglauf": ("other", "cross_country_skiing"),
    "skidefond": ("other", "cross_country_skiing"),
}

_BY_LENGTH = sorted((w for w in _WORDS if len(w) > 3), key=len, reverse=True)

#: GPX ``<type>`` words that say nothing (OpenTracks writes "unknown"): treated as undeclared.
_UNDECLARED_WORDS = frozenset({"unknown", "unbekannt", "none", "null", "undefined", "activity", "sport"})

#: Strava's numeric activity-type codes as written in ``<trk><type>`` of Strava
#: GPX exports (Strava API ``ActivityType`` order: 1 Ride, 2 AlpineSki,
#: 3 BackcountrySki, 4 Hike, 5 IceSkate, 6 InlineSkate, 7 NordicSki,
#: 8 RollerSki, 9 Run, 10 Walk, 11 Workout, 12 Snowboard, 13 Snowshoe,
#: 14 Kitesurf, 15 Windsurf, 16 Swim, 17 VirtualRide, 18 EBikeRide,
#: 19 Velomobile, 20 Canoeing, 21 Kayaking, 22 Rowing, 23 StandUpPaddling,
#: 24 Surfing, 25 Crossfit, 26 Elliptical, 27 RockClimbing, 28 StairStepper,
#: 29 WeightTraining, 30 Yoga, 31 Handcycle, 32 Wheelchair, 33 VirtualRun).
#: Only 9 = Run and 1 = Ride are confirmed by real files here; the rest follow
#: the same published order.
STRAVA_TYPE_CODES = {
    1: "Ride", 2: "AlpineSki", 3: "BackcountrySki", 4: "Hike", 5: "IceSkate",
    6: "InlineSkate", 7: "NordicSki", 8: "RollerSki", 9: "Run", 10: "Walk",
    11: "Workout", 12: "Snowboard", 13: "Snowshoe", 14: "Kitesurf",
    15: "Windsurf", 16: "Swim", 17: "VirtualRide", 18: "EBikeRide",
    19: "Velomobile", 20: "Canoeing", 21: "Kayaking", 22: "Rowing",
    23: "StandUpPaddling", 24: "Surfing", 25: "Crossfit", 26: "Elliptical",
    27: "RockClimbing", 28: "StairStepper", 29: "WeightTraining", 30: "Yoga",
    31: "Handcycle", 32: "Wheelchair", 33: "VirtualRun",
}

_SQUASH = re.compile(r"[\s_\-/]+")


def _key(word: str) -> str:
    return _SQUASH.sub("", word.strip().lower())


def fit_sub_sport(sub_sport) -> str | None:
    """Map a FIT ``sub_sport`` enum name (or number) to runload's sub-sport."""
    if sub_sport is None:
        return None
    if isinstance(sub_sport, int):
        return None if sub_sport == 0 else str(sub_sport)
    return _FIT_SUB_SPORTS.get(sub_sport, sub_sport)


def normalise_fit_sport(sport, sub_sport) -> tuple[str, str | None]:
    """Map FIT ``sport`` / ``sub_sport`` enum names to ``(sport, sub_sport)``.

    ``fitness_equipment`` is split by its sub-sport: ``treadmill`` is running,
    ``indoor_rowing`` rowing, ``indoor_cycling`` cycling, the rest fitness.
    ``generic`` (FIT sport 0) and unknown numbers are ``other``.
    """
    sub = fit_sub_sport(sub_sport)
    if sport is None or isinstance(sport, int):
        if sub == "treadmill":
            return "running", "treadmill"
        return "other", sub
    if sport == "fitness_equipment":
        if sub_sport == "treadmill":
            return "running", "treadmill"
        if sub_sport == "indoor_rowing":
            return "rowing", "indoor"
        if sub_sport in ("indoor_cycling", "spin"):
            return "cycling", "indoor"
        if sub_sport == "indoor_running":
            return "running", "indoor"
        if sub_sport == "indoor_walking":
            return "walking", "indoor"
        return "fitness", sub
    if sport in SPORTS:
        return sport, sub
    found = _WORDS.get(_key(sport))
    if found:
        return found[0], sub or found[1]
    return "other", sub or sport


def normalise_sport(word) -> tuple[str | None, str | None]:
    """Map a free sport word (TCX ``Sport``, GPX ``<type>``, Strava type) to ``(sport, sub_sport)``.

    Returns ``(None, None)`` for an empty word; ``("other", word)`` for a word
    not in the table. Numeric strings are Strava type codes (9 = Run, 1 = Ride).
    """
    if word is None:
        return None, None
    text = str(word).strip()
    if not text:
        return None, None
    if text.isdigit():
        name = STRAVA_TYPE_CODES.get(int(text))
        if name is None:
            return "other", None
        text = name
    key = _key(text)
    if key in _UNDECLARED_WORDS:
        return None, None
    if key in _WORDS:
        return _WORDS[key]
    # "Running (Treadmill)", "Trail Running", "running:trail" ...
    for candidate in _BY_LENGTH:  # the longest word first: "skilanglauf" before "lauf"
        if candidate in key:
            return _WORDS[candidate]
    return "other", text.lower()


_NAME_WORDS = re.compile(r"\b(run|running|jog|ride|cycling|bike|swim|swimming|walk|walking|hike|hiking|row|rowing)\b", re.I)


def infer_sport_from_name(name: str | None) -> tuple[str | None, str | None]:
    """Guess an undeclared sport from a title such as Strava's default "Afternoon Swim".

    Returns ``(sport, note)`` or ``(None, None)`` when the name holds no sport word.
    """
    if not name:
        return None, None
    m = _NAME_WORDS.search(name)
    if not m:
        return None, None
    sport, _sub = normalise_sport(m.group(1))
    return sport, f"sport not declared; taken as {sport} from the activity name ({name.strip()!r})"


def classify_undeclared(distance_m: float | None, moving_s: float | None, *, name: str | None = None,
                        avg_cadence_per_min: float | None = None) -> tuple[str, str]:
    """The sport of an activity whose file declares none, from its own evidence.

    The one place importers ask; returns ``(sport, note)`` with a note saying what was used.
    ``sport`` is ``unknown`` when the evidence does not settle it (see the module docstring).
    """
    sport, note = infer_sport_from_name(name)
    if sport is not None:
        return sport, note
    return infer_sport_from_speed(distance_m, moving_s, avg_cadence_per_min=avg_cadence_per_min)


def _fmt_cadence(cadence: float | None) -> str:
    return f", cadence {cadence:.0f}/min" if cadence else ""


def infer_sport_from_speed(distance_m: float | None, moving_s: float | None, *,
                           avg_cadence_per_min: float | None = None) -> tuple[str, str]:
    """Classify an undeclared activity from its average moving speed and cadence (a small pure rule).

    Returns ``(sport, note)``; ``sport`` is ``running``, ``walking``, ``cycling`` or ``unknown``.
    See the module docstring for the bounds [km/h, 1/min] and their sources.
    """
    cadence = avg_cadence_per_min if avg_cadence_per_min and math.isfinite(avg_cadence_per_min) \
        and avg_cadence_per_min > 0 else None
    if not distance_m or not moving_s or moving_s <= 0 or not math.isfinite(distance_m / moving_s):
        return "unknown", "sport not declared and no speed to judge it by: stored as unknown"
    speed_kmh = distance_m / moving_s * 3.6
    seen = f"{speed_kmh:.1f} km/h{_fmt_cadence(cadence)}"
    if RUN_SPEED_MIN_KMH <= speed_kmh <= RUN_SPEED_MAX_KMH and cadence is not None \
            and cadence >= RUN_STEPS_MIN_PER_MIN:
        return "running", f"sport not declared; taken as running from its pace and step rate ({seen})"
    if WALK_SPEED_MIN_KMH <= speed_kmh <= WALK_SPEED_MAX_KMH and cadence is not None \
            and cadence < WALK_STRIDES_MAX_PER_MIN:
        return "walking", f"sport not declared; taken as walking from its pace and stride rate ({seen})"
    if RUN_SPEED_MAX_KMH < speed_kmh <= CYCLE_SPEED_MAX_KMH and cadence is not None \
            and PEDAL_CADENCE_MIN_PER_MIN <= cadence <= PEDAL_CADENCE_MAX_PER_MIN:
        return "cycling", f"sport not declared; taken as cycling from its speed and pedalling cadence ({seen})"
    if speed_kmh > RUN_SPEED_MAX_KMH:
        why = "too fast for a run"
    elif speed_kmh < RUN_SPEED_MIN_KMH:
        why = "too slow for a run"
    else:
        why = "speed fits a run, a ride or a fast hike alike"
    return "unknown", f"sport not declared; {why} ({seen}): stored as unknown"
