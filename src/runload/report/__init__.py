

#: The charts ``runload chart`` and the report draw (:func:`runload.report.charts.athlete_chart`).
CHART_KINDS = ("weekly", "calendar", "acwr", "shoes", "fitness")
#: Chart layouts: ``wide`` for a screen or paper, ``narrow`` for a phone held upright.
CHART_LAYOUTS = ("narrow", "wide")
