"""Seeding: one integer gives a numpy ``Generator`` and a torch ``Generator``.

No function here (or anywhere in the package) touches global random state: randomness enters
as a ``seed`` integer or an explicit generator.
"""

from __future__ import annotations

import numpy as np

from analysis._core.validate import check_int


def make_rng(seed: int | np.random.Generator, name: str = "seed") -> np.random.Generator:
    """Return a numpy ``Generator`` for ``seed`` (a passed ``Generator`` is returned unchanged).

    Parameters
    ----------
    seed : int or numpy.random.Generator
        Non-negative integer seed, or an existing generator.
    name : str
        The argument's name in the caller, for error messages (``"rng"``, ``"seed"``).

    Returns
    -------
    numpy.random.Generator
        PCG64 generator; the same seed gives the same stream on every machine.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    seed = check_int(seed, name, minimum=0)
    return np.random.default_rng(seed)


def spawn_seeds(seed: int, n: int) -> list[int]:
    """Derive ``n`` independent integer seeds from one seed (``numpy.random.SeedSequence``).

    Parameters
    ----------
    seed : int
        Parent seed (non-negative).
    n : int
        Number of child seeds (positive).

    Returns
    -------
    list of int
        Child seeds, statistically independent streams, reproducible from ``seed``.
    """
    seed = check_int(seed, "seed", minimum=0)
    n = check_int(n, "n", minimum=1)
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def make_torch_generator(seed: int, device: str | object = "cpu"):
    """Return a ``torch.Generator`` on ``device`` seeded with ``seed``.

    Parameters
    ----------
    seed : int
        Non-negative integer seed.
    device : str or torch.device
        Device of the generator (``"cpu"`` or a CUDA device); resolve ``"auto"`` first with
        :func:`analysis._core.device.resolve_device`.

    Returns
    -------
    torch.Generator
    """
    import torch

    seed = check_int(seed, "seed", minimum=0)
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen


def random_orthogonal(d: int, rng: int | np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal (d, d) matrix: QR of a Gaussian matrix with the sign correction.

    Multiplying each column of Q by the sign of the matching diagonal entry of R makes the
    distribution exactly Haar (plain QR is biased by the sign convention of the factorisation).

    Parameters
    ----------
    d : int
        Dimension (>= 1).
    rng : int or numpy.random.Generator
        Seed or generator.
    """
    d = check_int(d, "d", minimum=1)
    gen = make_rng(rng, name="rng")
    Q, R = np.linalg.qr(gen.standard_normal((d, d)))
    return Q * np.sign(np.diag(R))
