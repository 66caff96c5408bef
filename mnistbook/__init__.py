"""mnistbook: the small NumPy library of the course book "Deep learning from scratch: MNIST".

Every chapter imports it. The modules, in reading order:

- ``functions``: activations and losses (sigmoid, softmax, log-softmax, NLL, ...);
- ``layers``: ``Layer``, ``ReLULayer``, ``SoftmaxLayer`` (and their base ``Dense``);
- ``gradcheck``: is ``backward`` the derivative of the loss?
- ``optim``: ``SGD``, ``Momentum``, ``Adam``, one kind of object with ``step(layers)``;
- ``training``: ``predict``, ``accuracy``, ``train_step``, ``sgd``;
- ``persist``: ``save`` and ``load`` a network;
- ``idx`` and ``data``: the IDX reader and ``load_dataset``;
- ``speed``: the timing helpers of the "Making it fast" chapter.

Only NumPy is needed to import it and to train; fetching the data and the
timing helpers import what they need when they are used.
"""
from .data import FetchError, fetch_mnist, load_dataset
from .functions import (cross_entropy, d_relu, d_sigmoid, log_softmax, nll_loss, one_hot,
                        relu, sigmoid, softmax)
from .gradcheck import check_layer, numerical_gradient, relative_error
from .idx import IDXError, load_mnist
from .layers import Dense, Layer, ReLULayer, SoftmaxLayer
from .optim import SGD, Adam, Momentum, Optimizer
from .persist import load, save
from .training import History, TrainingDiverged, accuracy, predict, sgd, train_step

__version__ = "0.2.0"

__all__ = [
    # functions.py
    "sigmoid", "d_sigmoid", "relu", "d_relu", "softmax", "log_softmax",
    "nll_loss", "cross_entropy", "one_hot",
    # layers.py
    "Dense", "Layer", "ReLULayer", "SoftmaxLayer",
    # gradcheck.py
    "numerical_gradient", "relative_error", "check_layer",
    # optim.py
    "Optimizer", "SGD", "Momentum", "Adam",
    # training.py
    "predict", "accuracy", "train_step", "sgd", "History", "TrainingDiverged",
    # persist.py
    "save", "load",
    # idx.py, data.py
    "load_mnist", "IDXError", "load_dataset", "fetch_mnist", "FetchError",
]
