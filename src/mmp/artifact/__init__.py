"""The self-describing MLflow artifact: pyfunc wrapper, metadata and the run store."""
