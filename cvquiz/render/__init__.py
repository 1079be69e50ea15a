"""Rich rendering of what the core returns: the one place that draws on the screen."""
