"""runload: a local-first training-load monitor that flags overuse-injury risk for runners."""

__version__ = "0.1.0"
