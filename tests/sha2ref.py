# SPDX-License-Identifier: Apache-2.0
"""SHA-256 and SHA-512 chaining values after whole blocks, in pure Python
(FIPS 180-4 sections 5.3, 6.2 and 6.4): the intermediate state no hash library
exposes, to check a PSA hash suspend state against. The constants are computed
here from their definition (the first bits of the fractional parts of the
square and cube roots of the first primes), not typed in."""


def _primes(n):
    out, k = [], 2
    while len(out) < n:
        if all(k % p for p in out):
            out.append(k)
        k += 1
    return out


def _iroot(v, e):
    """floor(v ** (1/e)) for an integer v."""
    x = 1 << (v.bit_length() // e + 1)
    while True:
        y = ((e - 1) * x + v // x ** (e - 1)) // e
        if y >= x:
            break
        x = y
    while x ** e > v:
        x -= 1
    while (x + 1) ** e <= v:
        x += 1
    return x


def _frac_root(p, e, bits):
    return _iroot(p << (e * bits), e) & ((1 << bits) - 1)


class _Sha2:
    def __init__(self, bits, rounds, sigmas):
        self.bits, self.rounds, self.sig = bits, rounds, sigmas
        self.mask = (1 << bits) - 1
        primes = _primes(rounds)
        self.k = [_frac_root(p, 3, bits) for p in primes]
        self.iv = [_frac_root(p, 2, bits) for p in primes[:8]]
        self.block = 16 * bits // 8

    def _rotr(self, x, n):
        return ((x >> n) | (x << (self.bits - n))) & self.mask

    def _s(self, x, which):
        a, b, c = self.sig[which]
        r = self._rotr(x, a) ^ self._rotr(x, b)
        # The small sigmas shift their third term; the big ones rotate it.
        return r ^ (x >> c if which >= 2 else self._rotr(x, c))

    def compress(self, h, block):
        wb = self.bits // 8
        w = [int.from_bytes(block[i * wb:(i + 1) * wb], "big") for i in range(16)]
        for t in range(16, self.rounds):
            w.append((self._s(w[t - 2], 3) + w[t - 7] + self._s(w[t - 15], 2) + w[t - 16])
                     & self.mask)
        a, b, c, d, e, f, g, hh = h
        for t in range(self.rounds):
            t1 = (hh + self._s(e, 1) + ((e & f) ^ (~e & g)) + self.k[t] + w[t]) & self.mask
            t2 = (self._s(a, 0) + ((a & b) ^ (a & c) ^ (b & c))) & self.mask
            a, b, c, d, e, f, g, hh = (t1 + t2) & self.mask, a, b, c, (d + t1) & self.mask, e, f, g
        return [(x + y) & self.mask for x, y in zip(h, (a, b, c, d, e, f, g, hh))]

    def chain(self, data, iv=None):
        """The chaining value after the whole blocks of data."""
        h = list(iv or self.iv)
        for i in range(0, len(data) - len(data) % self.block, self.block):
            h = self.compress(h, data[i:i + self.block])
        return h


SHA256 = _Sha2(32, 64, [(2, 13, 22), (6, 11, 25), (7, 18, 3), (17, 19, 10)])
SHA512 = _Sha2(64, 80, [(28, 34, 39), (14, 18, 41), (1, 8, 7), (19, 61, 6)])


def digest(sha, data):
    """The whole hash, padding included: checks this module against hashlib."""
    n = len(data)
    lenb = 2 * sha.bits // 8
    pad = b"\x80" + bytes((sha.block - (n + 1 + lenb) % sha.block) % sha.block)
    h = sha.chain(data + pad + (8 * n).to_bytes(lenb, "big"))
    return b"".join(x.to_bytes(sha.bits // 8, "big") for x in h)
