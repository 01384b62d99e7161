"""Winograd F(2x2, 3x3) tile transforms as numba kernels (private).

Imported only by ``_winograd.kernels()``, and only when numba is installed (the ``jit`` extra);
``cache=True`` keeps the compiled code in ``__pycache__``, so a process pays the compilation once.

Layouts: ``x``/``dx`` (N, C, H, W) and ``y``/``g`` (N, O, Ho, Wo) as the module sees them; the
transformed tiles of a block of samples n0 .. n1 - 1, ``V``/``dV`` (16, P, C) and ``M``/``Z`` (16, P,
O), where the 16 rows are the entries of a 4x4 tile (row-major), P = (n1 - n0) * th * tw tiles in
(sample, tile row, tile column) order, and the channels come last, so that the 16 products are (P x
C) @ (C x O) and every kernel's inner loop runs over contiguous channels. The block kernels run on
the calling thread (they release the GIL); ``_winograd`` spreads the blocks over threads.

With B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], A^T = [[1, 1, 1, 0],
[0, 1, -1, -1]]: V = B^T d B per input tile d (4x4, from row 2 * ty - padH), Y = A^T M A per
output tile (2x2); their adjoints Z = A dY A^T and dd = B dV B^T (summed where tiles overlap).
"""
import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _inputSample(x, V, padH, padW, tw, n, ty0, ty1, first, X, R):
    """inputBlock for the rows of tiles ty0 .. ty1 - 1 of sample ``n``, the first of them at tile ``first``
    of V: the rows of the sample they read, zero-padded and transposed to (row, column, channel) into X
    once (consecutive rows of tiles share two rows: gathering them per row of tiles transposed each
    row twice), then per row of tiles B^T over its 4 rows into R and B over the columns into V."""
    N, C, H, W = x.shape
    Wp = 2 * tw + 2
    X[2 * ty0:2 * ty1 + 2] = 0.0
    i0 = max(0, 2 * ty0 - padH)
    i1 = min(H, 2 * ty1 + 2 - padH)
    for c in range(C):
        for i in range(i0, i1):
            for j in range(W):
                X[padH + i, padW + j, c] = x[n, c, i, j]
    for ty in range(ty0, ty1):
        r = 2 * ty
        for j in range(Wp):
            for c in range(C):
                a0 = X[r, j, c]
                a1 = X[r + 1, j, c]
                a2 = X[r + 2, j, c]
                a3 = X[r + 3, j, c]
                R[0, j, c] = a0 - a2
                R[1, j, c] = a1 + a2
                R[2, j, c] = a2 - a1
                R[3, j, c] = a1 - a3
        base = first + (ty - ty0) * tw
        for i in range(4):
            for tx in range(tw):
                j = 2 * tx
                t = base + tx
                for c in range(C):
                    a0 = R[i, j, c]
                    a1 = R[i, j + 1, c]
                    a2 = R[i, j + 2, c]
                    a3 = R[i, j + 3, c]
                    V[4 * i, t, c] = a0 - a2
                    V[4 * i + 1, t, c] = a1 + a2
                    V[4 * i + 2, t, c] = a2 - a1
                    V[4 * i + 3, t, c] = a1 - a3


@njit(cache=True, nogil=True)
def _adjointSample(dVf, dx, padH, padW, th, tw, P, n, seed, ty0, ty1, first):
    """adjointBlock for the rows of tiles ``seed`` .. ty1 - 1 of sample ``n``, the first of them at tile
    ``first`` of dV (dVf: dV flattened), writing the rows of dx that rows ty0 .. ty1 - 1 complete. Its
    rows of tiles in order: each tile's rows 0 and 1 added to the two rows the tile above left half
    done, which are then complete and written out, its rows 2 and 3 carried to the next row of tiles
    (the row ``seed`` = ty0 - 1, when there is one, only carries: the rows it completes are the
    block above's, and the rows ty1 - 1 leaves half done the block below's, which starts from the
    same carry: each row of dx gets the same sums in the same order however the rows are blocked).
    The rows are held split by column parity ([even, odd], each (column // 2, channel) flat), so that
    a row of tiles adds its columns 2 tx .. 2 tx + 3 as four contiguous runs over (tile, channel)
    that the compiler vectorises."""
    N, C, H, W = dx.shape
    PC = P * C
    TC = tw * C
    acc = np.zeros((2, 2, 2, (tw + 1) * C), np.float32)   # [carried from above, started here][row][parity]
    R = np.empty((4, 4, TC), np.float32)                   # B dV for one row of tiles: [row][column][tile, channel]
    last = th + 1 if ty1 == th else ty1                    # the bottom rows are written after the last row of tiles
    for ty in range(seed, last):
        done = acc[ty % 2]
        if ty < ty1:
            todo = acc[(ty + 1) % 2]
            todo[:] = 0.0
            base = (first + (ty - seed) * tw) * C
            for j in range(4):
                # the rows of B dV: v0, v1 - v2 + v3, v1 + v2 - v0, -v3 (v_i: row i of the tiles)
                b0 = j * PC + base
                v0 = dVf[b0:b0 + TC]
                v1 = dVf[b0 + 4 * PC:b0 + 4 * PC + TC]
                v2 = dVf[b0 + 8 * PC:b0 + 8 * PC + TC]
                v3 = dVf[b0 + 12 * PC:b0 + 12 * PC + TC]
                r0 = R[0, j]
                r1 = R[1, j]
                r2 = R[2, j]
                r3 = R[3, j]
                for m in range(TC):
                    r0[m] = v0[m]
                    r1[m] = v1[m] - v2[m] + v3[m]
                    r2[m] = v1[m] + v2[m] - v0[m]
                    r3[m] = -v3[m]
            for i in range(4):
                # each row times B^T: w0, w1 - w2 + w3, w1 + w2 - w0, -w3, added at columns 2 tx .. 2 tx + 3
                out = done[i] if i < 2 else todo[i - 2]
                even = out[0]
                odd = out[1]
                w0 = R[i, 0]
                w1 = R[i, 1]
                w2 = R[i, 2]
                w3 = R[i, 3]
                for m in range(TC):
                    even[m] += w0[m]
                    odd[m] += w1[m] - w2[m] + w3[m]
                for m in range(TC):
                    even[m + C] += w1[m] + w2[m] - w0[m]
                    odd[m + C] -= w3[m]
        for i in range(2):
            yy = 2 * ty - padH + i
            if ty >= ty0 and 0 <= yy < H:
                row = done[i]
                for c in range(C):
                    for j in range(W):
                        col = padW + j
                        dx[n, c, yy, j] = row[col & 1, (col >> 1) * C + c]


@njit(cache=True, nogil=True)
def weightTransform(W, U):
    """U[:, c, o] = G W[o, c] G^T (the 16 entries of a 4x4 tile, row-major) for W (O, C, 3, 3), with G =
    [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]: the sums of G's rows in the order a
    product with G sums them, halved (exact), so U is the float32 matrix product's."""
    O, C = W.shape[0], W.shape[1]
    t = np.empty((4, 3), W.dtype)
    half = W.dtype.type(0.5)
    for c in range(C):
        for o in range(O):     # U's writes contiguous
            w = W[o, c]
            for j in range(3):
                t[0, j] = w[0, j]
                t[1, j] = half * w[0, j] + half * w[1, j] + half * w[2, j]
                t[2, j] = half * w[0, j] - half * w[1, j] + half * w[2, j]
                t[3, j] = w[2, j]
            for i in range(4):
                U[4 * i, c, o] = t[i, 0]
                U[4 * i + 1, c, o] = half * t[i, 0] + half * t[i, 1] + half * t[i, 2]
                U[4 * i + 2, c, o] = half * t[i, 0] - half * t[i, 1] + half * t[i, 2]
                U[4 * i + 3, c, o] = t[i, 2]


@njit(cache=True, nogil=True)
def kernelGradient(dU, dW):
    """dW[o, c] = G^T dU[:, c, o] G (dU's 16 entries a 4x4 tile, row-major): the adjoint of
    weightTransform, in the order a product with G sums."""
    C, O = dU.shape[1], dU.shape[2]
    s = np.empty((3, 4), dU.dtype)
    half = dU.dtype.type(0.5)
    for o in range(O):
        for c in range(C):
            for j in range(4):
                d0 = dU[j, c, o]
                d1 = dU[4 + j, c, o]
                d2 = dU[8 + j, c, o]
                d3 = dU[12 + j, c, o]
                s[0, j] = d0 + half * d1 + half * d2
                s[1, j] = half * d1 - half * d2
                s[2, j] = half * d1 + half * d2 + d3
            for i in range(3):
                dW[o, c, i, 0] = s[i, 0] + half * s[i, 1] + half * s[i, 2]
                dW[o, c, i, 1] = half * s[i, 1] - half * s[i, 2]
                dW[o, c, i, 2] = half * s[i, 1] + half * s[i, 2] + s[i, 3]


@njit(cache=True, nogil=True)
def inputBlock(x, V, padH, padW, th, tw, n0, n1, ty0, ty1):
    """V = B^T d B for every 4x4 tile in the rows of tiles ty0 .. ty1 - 1 of samples n0 .. n1 - 1 of x
    zero-padded by ``padH`` rows and ``padW`` columns (reads past the edges are zeros), into V (16,
    (n1 - n0) * (ty1 - ty0) * tw, C), a sample at a time (``_inputSample``: 6.94 -> 4.17 ms on one
    thread for 64 x 32 x 32 x 32 against gathering per row of tiles, the same numbers to the bit;
    benchmarks/RESULTS.md, issue 14)."""
    N, C, H, W = x.shape
    rows = max(2 * th + 2, H + padH)
    cols = max(2 * tw + 2, W + padW)
    X = np.empty((rows, cols, C), np.float32)  # _inputSample zeroes the rows it reads
    R = np.empty((4, 2 * tw + 2, C), np.float32)
    for n in range(n0, n1):
        _inputSample(x, V, padH, padW, tw, n, ty0, ty1, (n - n0) * (ty1 - ty0) * tw, X, R)


@njit(cache=True, nogil=True)
def outputBlock(M, bias, y, th, tw, n0, n1, ty0, ty1):
    """y = A^T M A + bias per 2x2 output tile in the rows of tiles ty0 .. ty1 - 1 of samples n0 .. n1 - 1
    (M (16, (n1 - n0) * (ty1 - ty0) * tw, O)); the part of the last tiles past Ho, Wo is dropped. A row of tiles at a time, its sums as loops over
    contiguous runs of (tile, channel) and its two output rows held split by column parity (one thread,
    VGG's 32 -> 32 layer by blocks of 2 samples: 2.48 -> 1.49 ms against a loop over channels per
    tile, the same numbers to the bit)."""
    N, O, Ho, Wo = y.shape
    T = (ty1 - ty0) * tw
    PO = M.shape[1] * O
    TO = tw * O
    Mf = M.reshape(M.size)
    S = np.empty((8, TO), np.float32)
    L = np.empty((2, 2, TO), np.float32)     # [row][parity][(tile, channel)]
    for n in range(n0, n1):
        for ty in range(ty0, ty1):
            b = ((n - n0) * T + (ty - ty0) * tw) * O
            for k in range(4):
                m0 = Mf[k * PO + b:k * PO + b + TO]
                m1 = Mf[(k + 4) * PO + b:(k + 4) * PO + b + TO]
                m2 = Mf[(k + 8) * PO + b:(k + 8) * PO + b + TO]
                m3 = Mf[(k + 12) * PO + b:(k + 12) * PO + b + TO]
                s0 = S[k]
                s1 = S[k + 4]
                for m in range(TO):
                    s0[m] = m0[m] + m1[m] + m2[m]
                for m in range(TO):
                    s1[m] = m1[m] - m2[m] - m3[m]
            for i in range(2):
                s0 = S[4 * i]
                s1 = S[4 * i + 1]
                s2 = S[4 * i + 2]
                s3 = S[4 * i + 3]
                ev = L[i, 0]
                od = L[i, 1]
                for m in range(TO):
                    ev[m] = s0[m] + s1[m] + s2[m]
                for m in range(TO):
                    od[m] = s1[m] - s2[m] - s3[m]
            for i in range(2):
                yy = 2 * ty + i
                if yy < Ho:
                    for o in range(O):
                        bo = bias[o]
                        for j in range(Wo):
                            y[n, o, yy, j] = L[i, j & 1, (j >> 1) * O + o] + bo


@njit(cache=True, nogil=True)
def gradBlock(g, Z, th, tw, n0, n1, ty0, ty1):
    """Z = A dY A^T per 2x2 tile in the rows of tiles ty0 .. ty1 - 1 of samples n0 .. n1 - 1 of the output
    gradient g (zeros past Ho, Wo), into Z (16, (n1 - n0) * (ty1 - ty0) * tw, O): the adjoint of outputBlock. A row
    of tiles at a time held split by column parity, so that each of the sixteen rows of Z is one
    loop over a contiguous run of (tile, channel) that the compiler vectorises (the loop over the
    sixteen outputs per channel did not vectorise in a plain, not parallel, function: 6-10x slower)."""
    N, O, Ho, Wo = g.shape
    T = (ty1 - ty0) * tw
    PO = Z.shape[1] * O
    TO = tw * O
    Zf = Z.reshape(Z.size)
    E = np.zeros((2, TO), np.float32)   # rows 0 and 1 of the tiles: even columns, (tile, channel)
    D = np.zeros((2, TO), np.float32)   # odd columns (zeros past Wo)
    S = np.empty((4, TO), np.float32)
    for n in range(n0, n1):
        for ty in range(ty0, ty1):
            for i in range(2):
                yy = 2 * ty + i
                e = E[i]
                d = D[i]
                if yy < Ho:
                    for o in range(O):
                        for tx in range(tw):
                            j = 2 * tx
                            e[tx * O + o] = g[n, o, yy, j]
                            if j + 1 < Wo:
                                d[tx * O + o] = g[n, o, yy, j + 1]
                else:
                    e[:] = 0.0
                    d[:] = 0.0
            g00 = E[0]
            g01 = D[0]
            g10 = E[1]
            g11 = D[1]
            r10 = S[0]
            r11 = S[1]
            r20 = S[2]
            r21 = S[3]
            for m in range(TO):
                r10[m] = g00[m] + g10[m]
            for m in range(TO):
                r11[m] = g01[m] + g11[m]
            for m in range(TO):
                r20[m] = g00[m] - g10[m]
            for m in range(TO):
                r21[m] = g01[m] - g11[m]
            b = ((n - n0) * T + (ty - ty0) * tw) * O
            z = Zf[b:b + TO]
            for m in range(TO):
                z[m] = g00[m]
            z = Zf[PO + b:PO + b + TO]
            for m in range(TO):
                z[m] = g00[m] + g01[m]
            z = Zf[2 * PO + b:2 * PO + b + TO]
            for m in range(TO):
                z[m] = g00[m] - g01[m]
            z = Zf[3 * PO + b:3 * PO + b + TO]
            for m in range(TO):
                z[m] = -g01[m]
            z = Zf[4 * PO + b:4 * PO + b + TO]
            for m in range(TO):
                z[m] = r10[m]
            z = Zf[5 * PO + b:5 * PO + b + TO]
            for m in range(TO):
                z[m] = r10[m] + r11[m]
            z = Zf[6 * PO + b:6 * PO + b + TO]
            for m in range(TO):
                z[m] = r10[m] - r11[m]
            z = Zf[7 * PO + b:7 * PO + b + TO]
            for m in range(TO):
                z[m] = -r11[m]
            z = Zf[8 * PO + b:8 * PO + b + TO]
            for m in range(TO):
                z[m] = r20[m]
            z = Zf[9 * PO + b:9 * PO + b + TO]
            for m in range(TO):
                z[m] = r20[m] + r21[m]
            z = Zf[10 * PO + b:10 * PO + b + TO]
            for m in range(TO):
                z[m] = r20[m] - r21[m]
            z = Zf[11 * PO + b:11 * PO + b + TO]
            for m in range(TO):
                z[m] = -r21[m]
            z = Zf[12 * PO + b:12 * PO + b + TO]
            for m in range(TO):
                z[m] = -g10[m]
            z = Zf[13 * PO + b:13 * PO + b + TO]
            for m in range(TO):
                z[m] = -g10[m] - g11[m]
            z = Zf[14 * PO + b:14 * PO + b + TO]
            for m in range(TO):
                z[m] = g11[m] - g10[m]
            z = Zf[15 * PO + b:15 * PO + b + TO]
            for m in range(TO):
                z[m] = g11[m]


@njit(cache=True, nogil=True)
def adjointBlock(dV, dx, padH, padW, th, tw, n0, n1, seed, ty0, ty1):
    """The rows of dx completed by the rows of tiles ty0 .. ty1 - 1 of samples n0 .. n1 - 1 = the sum of
    B dV B^T over the tiles that cover each input position (dV (16, (n1 - n0) * (ty1 - seed) * tw, C),
    from the row of tiles ``seed``: ty0 - 1 where a block starts inside a sample, else ty0): the
    adjoint of inputBlock, a sample at a time (``_adjointSample``: with its loops over whole runs of
    (tile, channel) instead of one channel run per tile, 1.3-2x faster than before on the VGG-style
    layers, the same numbers to the bit; benchmarks/RESULTS.md, issue 14)."""
    P = dV.shape[1]
    dVf = dV.reshape(dV.size)
    for n in range(n0, n1):
        _adjointSample(dVf, dx, padH, padW, th, tw, P, n, seed, ty0, ty1, (n - n0) * (ty1 - seed) * tw)
