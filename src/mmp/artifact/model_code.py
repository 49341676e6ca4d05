"""Model-from-code entry point that MLflow runs when it loads an mmp artifact.

Logging this file (rather than a pickled object) keeps the artifact free of
cloudpickle payloads; the ``mmp`` package itself travels in the model's ``code/``.
"""

from mlflow.models import set_model

from mmp.artifact.pyfunc import MmpModel

set_model(MmpModel())
