"""Live PyTorch demonstrations."""
