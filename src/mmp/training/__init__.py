"""Model construction, preprocessing, splitting and evaluation."""
