"""The foundation layer's components."""
