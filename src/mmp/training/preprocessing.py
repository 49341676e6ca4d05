"""Preprocessing fitted on the training split only: scaling and one-hot encoding."""

from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def split_columns(frame: pd.DataFrame, feature_columns: list[str]) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns (booleans count as numeric)."""
    numeric, categorical = [], []
    for name in feature_columns:
        dtype = frame[name].dtype
        if ptypes.is_bool_dtype(dtype) or ptypes.is_numeric_dtype(dtype):
            numeric.append(name)
        else:
            categorical.append(name)
    return numeric, categorical


def build_pipeline(frame: pd.DataFrame, feature_columns: list[str],
                   estimator: BaseEstimator) -> Pipeline:
    """An unfitted pipeline: impute + scale numbers, impute + one-hot categories, then model."""
    numeric, categorical = split_columns(frame, feature_columns)
    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline([
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]), numeric))
    if categorical:
        transformers.append(("categorical", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]), categorical))
    return Pipeline([
        ("preprocess", ColumnTransformer(transformers, remainder="drop")),
        ("model", estimator),
    ])
