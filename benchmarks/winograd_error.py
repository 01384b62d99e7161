"""Issue 14: the rounding error of Winograd F(2x2,3x3) and F(4x4,3x3) in float32, against a float64
evaluation of the same float32 inputs, next to the direct sum in float32 (a numpy prototype of the
forward pass, pad 1, for the VGG net's 3x3 layers; not the library's kernels).

    .venv/bin/python benchmarks/winograd_error.py

Results: benchmarks/RESULTS.md (issue 14). F(4x4,3x3) uses the usual interpolation points 0, 1, -1,
2, -2 and infinity.
"""
import numpy as np

F22 = (np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]),                 # B^T
       np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]),                           # G
       np.array([[1, 1, 1, 0], [0, 1, -1, -1]]))                                                 # A^T
F44 = (np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
                 [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]),
       np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
                 [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]),
       np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]))


def winograd(x, W, matrices, dtype):
    """Forward pass of a 3x3 convolution with pad 1, every step in ``dtype``."""
    BT, G, AT = (np.asarray(m, dtype) for m in matrices)
    m, a = AT.shape
    N, C, H, Wd = x.shape
    th, tw = -(-H // m), -(-Wd // m)
    xp = np.zeros((N, C, th * m + 2, tw * m + 2), dtype)
    xp[:, :, 1:H + 1, 1:Wd + 1] = x
    s = xp.strides
    tiles = np.lib.stride_tricks.as_strided(xp, (N, C, th, tw, a, a), (s[0], s[1], s[2] * m, s[3] * m, s[2], s[3]))
    V = np.matmul(np.matmul(BT, tiles), BT.T).transpose(4, 5, 0, 2, 3, 1).reshape(a * a, -1, C)
    U = np.matmul(np.matmul(G, W.astype(dtype)), G.T).transpose(2, 3, 1, 0).reshape(a * a, C, -1)
    M = np.matmul(V, U).reshape(a, a, N, th, tw, -1).transpose(2, 5, 3, 4, 0, 1)
    Y = np.matmul(np.matmul(AT, M), AT.T).transpose(0, 1, 2, 4, 3, 5).reshape(N, -1, th * m, tw * m)
    return Y[:, :, :H, :Wd]


def direct(x, W, dtype):
    N, C, H, Wd = x.shape
    xp = np.zeros((N, C, H + 2, Wd + 2), dtype)
    xp[:, :, 1:H + 1, 1:Wd + 1] = x
    return sum(np.einsum("nchw,oc->nohw", xp[:, :, u:u + H, v:v + Wd], W[:, :, u, v].astype(dtype))
               for u in range(3) for v in range(3))


def main():
    np.random.seed(0)
    print("layer | max |y| | direct float32 | F(2x2,3x3) float32 | F(4x4,3x3) float32 | F(4x4,3x3) float64")
    for C, O, S in [(32, 32, 32), (32, 64, 16), (64, 64, 16)]:
        x = np.maximum(np.random.randn(16, C, S, S), 0).astype(np.float32)       # relu outputs
        W = (np.random.randn(O, C, 3, 3) * np.sqrt(2 / (9 * C))).astype(np.float32)  # He
        ref = direct(x, W, np.float64)
        errors = [np.abs(y - ref).max() for y in (direct(x, W, np.float32), winograd(x, W, F22, np.float32),
                                                  winograd(x, W, F44, np.float32), winograd(x, W, F44, np.float64))]
        print("%d -> %d, %dx%d | %.2f | %s" % (C, O, S, S, np.abs(ref).max(), " | ".join("%.1e" % e for e in errors)))


if __name__ == "__main__":
    main()
