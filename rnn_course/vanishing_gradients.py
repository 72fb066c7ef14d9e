"""02 · Vanishing and exploding gradients: why simple RNNs forget

Generated from notebooks/02_vanishing_gradients.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import numpy as np
from .simple_rnn import numpy_rnn


def bptt(x, y, W, U, b):
    """Loss L = ½ Σ_t ||h_t − y_t||² of the Elman RNN on x (batch, time, input_dim), and its gradients
    (dL/dW, dL/dU, dL/db, dL/dx) computed by walking backwards through time."""
    hs = numpy_rnn(x, W, U, b)                                                # (batch, time, units): h_1..h_T
    h_prev = np.concatenate([np.zeros_like(hs[:, :1]), hs[:, :-1]], axis=1)  # (batch, time, units): h_0..h_{T-1}
    loss = 0.5 * np.sum((hs - y) ** 2)
    dW, dU, db, dx = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b), np.zeros_like(x)
    g_next = np.zeros_like(hs[:, 0])                     # g_{T+1} = 0                   (batch, units)
    for t in reversed(range(x.shape[1])):
        delta = (hs[:, t] - y[:, t]) + g_next @ U.T      # δ_t = ∂L/∂h_t                 (batch, units)
        g = delta * (1 - hs[:, t] ** 2)                  # g_t = ∂L/∂z_t                 (batch, units)
        dW += x[:, t].T @ g                              # (input_dim, units)
        dU += h_prev[:, t].T @ g                         # (units, units)
        db += g.sum(axis=0)                              # (units,)
        dx[:, t] = g @ W.T                               # (batch, input_dim)
        g_next = g
    return loss, (dW, dU, db, dx)


def step_jacobian(h_t, U):
    """∂h_t/∂h_{t-1} = diag(1 − h_t²) Uᵀ for each sequence of the batch: h_t (batch, units) -> (batch, units, units)."""
    return (1 - h_t ** 2)[:, :, None] * U.T


def state_jacobian(hs, U, t):
    """∂h_T/∂h_t = J_T J_{T-1} ⋯ J_{t+1} for the states hs = (h_1..h_T) of numpy_rnn, (batch, T, units);
    t = 0 is the initial state h_0. Returns (batch, units, units)."""
    J = np.broadcast_to(np.eye(U.shape[0], dtype=hs.dtype), (hs.shape[0], *U.shape)).copy()  # ∂h_T/∂h_T = I
    for s in range(hs.shape[1], t, -1):          # s = T, T-1, ..., t+1
        J = J @ step_jacobian(hs[:, s - 1], U)   # hs[:, s - 1] is h_s
    return J


def jacobian_norms(hs, U):
    """||∂h_T/∂h_{T-k}||₂ (largest singular value) for every distance k = 0..T: (batch, T + 1), from hs (batch, T, units)."""
    batch, T, units = hs.shape
    J = np.broadcast_to(np.eye(units, dtype=hs.dtype), (batch, units, units)).copy()  # k = 0: identity
    norms = [np.linalg.norm(J, ord=2, axis=(-2, -1))]
    for k in range(1, T + 1):
        J = J @ step_jacobian(hs[:, T - k], U)       # now ∂h_T/∂h_{T-k}; hs[:, T - k] is h_{T-k+1}
        norms.append(np.linalg.norm(J, ord=2, axis=(-2, -1)))
    return np.stack(norms, axis=1)                   # (batch, T + 1)
