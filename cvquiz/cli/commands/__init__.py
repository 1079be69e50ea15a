"""The commands: each declares its options and forwards them to one core function."""
