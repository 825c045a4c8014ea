"""Model families. Every one follows :class:`mad.models.base.GenerativeModel`.

Use :func:`make_model` to build one by name; the registry imports a family only when asked,
so the torch models cost nothing to a Gaussian chapter.
"""

from __future__ import annotations

import importlib
from typing import Any

from mad.models.base import GenerativeModel, balanced_labels
from mad.models.gaussian import GaussianModel

#: name -> "module:Class"; a family is imported on first use
REGISTRY: dict[str, str] = {
    "gaussian": "mad.models.gaussian:GaussianModel",
    "gmm": "mad.models.gmm:GaussianMixtureModel",
    "flow": "mad.models.flow:RealNVPFlow",
    "ddpm": "mad.models.ddpm:ConditionalDDPM",
    "unet_ddpm": "mad.models.unet_ddpm:UNetDDPM",  # 28x28 images (MNIST, Fashion-MNIST)
    "wgan": "mad.models.wgan:WGANGP",
    "ngram": "mad.language:NGramModel",  # rows of token ids (toy language models)
    "class_prior_ddpm": "mad.drift:ClassPriorDDPM",  # a DDPM that learns the class prior of its training set
    "resampler": "mad.memorisation:Resampler",  # the empirical distribution (exact copies of training rows)
}


def make_model(name: str, **params: Any) -> GenerativeModel:
    """An unfitted model of family ``name`` (see :data:`REGISTRY`) with constructor ``params``."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(REGISTRY))}")
    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)(**params)


__all__ = ["REGISTRY", "GaussianModel", "GenerativeModel", "balanced_labels", "make_model"]
