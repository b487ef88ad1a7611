"""The compute layer's components."""
