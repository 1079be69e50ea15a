"""ResNet-family demos, one module per theme; the registry imports them (none imports torch at load)."""
