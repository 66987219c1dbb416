"""Map the sport words of FIT, TCX, GPX and Strava exports onto runload's sports.

Every importer calls :func:`normalise_sport` with whatever the file says and
gets back ``(sport, sub_sport)`` where ``sport`` is one of
:data:`runload.models.SPORTS` (or ``None`` when the file declares nothing) and
``sub_sport`` a short lower-case word (``treadmill``, ``trail``, ``road``,
``indoor``, ``virtual``, ``open_water`` ...) or ``None``.

When a file declares no sport at all (an untyped GPX or TCX),
:func:`infer_sport_from_speed` guesses it from the moving speed:

* 6–22 km/h [moving speed] is taken as running (a 10 min/km jog is 6 km/h,
  a 2:45 min/km race pace is 22 km/h);
* above 22 km/h as cycling;
* below 6 km/h as ``other`` (walking, hiking, swimming cannot be told apart).

The guess is always reported in a note so the user can correct it.
"""

from __future__ import annotations

import re

from runload.models import SPORTS

#: Slowest and fastest moving speeds [km/h] taken as running for an untyped file.
RUN_SPEED_MIN_KMH = 6.0
RUN_SPEED_MAX_KMH = 22.0

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
}

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
    if key in _WORDS:
        return _WORDS[key]
    # "Running (Treadmill)", "Trail Running", "running:trail" ...
    for candidate, value in _WORDS.items():
        if len(candidate) > 3 and candidate in key:
            return value
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
    """
    sport, note = infer_sport_from_name(name)
    if sport is None:
        sport, note = infer_sport_from_speed(distance_m, moving_s)
    return sport or "other", note or "sport not declared; taken as other"


def infer_sport_from_speed(distance_m: float | None, moving_s: float | None) -> tuple[str | None, str | None]:
    """Guess the sport of an untyped activity from its moving speed.

    Returns ``(sport, note)``; ``(None, None)`` when speed cannot be computed.
    See the module docstring for the thresholds [km/h].
    """
    if not distance_m or not moving_s or moving_s <= 0:
        return None, None
    speed_kmh = distance_m / moving_s * 3.6
    if RUN_SPEED_MIN_KMH <= speed_kmh <= RUN_SPEED_MAX_KMH:
        return "running", f"sport not declared; taken as running from its pace ({speed_kmh:.1f} km/h)"
    if speed_kmh > RUN_SPEED_MAX_KMH:
        return "cycling", f"sport not declared; taken as cycling from its speed ({speed_kmh:.1f} km/h)"
    return "other", f"sport not declared; too slow for a run ({speed_kmh:.1f} km/h), taken as other"
