"""The data layer's components."""
