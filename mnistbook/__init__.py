"""mnistbook: the small NumPy library of the course book "Deep learning from scratch: MNIST".

Every chapter imports it; every module is short enough to read in one sitting.
"""
from .fetch import fetch_mnist, load_dataset
from .functions import (cross_entropy, d_relu, d_sigmoid, log_softmax, nll_loss, one_hot,
                        relu, sigmoid, softmax)
from .gradcheck import check_layer, numerical_gradient, relative_error
from .idx import IDXError, load_mnist
from .layers import Layer, ReLULayer, SoftmaxLayer
from .optim import Adam, Momentum
from .persist import load, save
from .training import History, TrainingDiverged, accuracy, predict, sgd, train_step

__version__ = "0.1.0"

__all__ = [
    # functions.py
    "sigmoid", "d_sigmoid", "relu", "d_relu", "softmax", "log_softmax",
    "nll_loss", "cross_entropy", "one_hot",
    # layers.py
    "Layer", "ReLULayer", "SoftmaxLayer",
    # gradcheck.py
    "numerical_gradient", "relative_error", "check_layer",
    # optim.py
    "Momentum", "Adam",
    # training.py
    "predict", "accuracy", "train_step", "sgd", "History", "TrainingDiverged",
    # persist.py
    "save", "load",
    # idx.py, fetch.py
    "load_mnist", "IDXError", "fetch_mnist", "load_dataset",
]
