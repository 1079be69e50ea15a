"""cvquiz: interview tutor for CNN architectures."""

__version__ = "0.1.0"
