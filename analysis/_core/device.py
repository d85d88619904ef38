"""torch device and dtype selection."""

from __future__ import annotations

import functools

_DTYPES = ("float64", "float32")


@functools.cache
def _cuda_available() -> bool:
    """Whether CUDA is usable (asked once per process: the query costs ~25 ms each time)."""
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device: str | object = "auto"):
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"`` (or a ``torch.device``) into a ``torch.device``.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str or torch.device
        ``"auto"`` picks CUDA when a GPU is present, else the CPU. ``"cuda"`` without a GPU
        raises.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``device`` is not a known device name, or names CUDA on a machine without one.
    """
    import torch

    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if _cuda_available() else "cpu")
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(
                f"device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}"
            ) from exc
    else:
        raise ValueError(
            f"device: expected 'auto', 'cpu', 'cuda' or a torch.device, got {type(device).__name__}"
        )
    if dev.type == "cuda" and not _cuda_available():
        raise ValueError("device: 'cuda' was requested but no CUDA device is available")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device: expected a cpu or cuda device, got {dev.type!r}")
    return dev


def resolve_dtype(dtype: str | object = "float64"):
    """Turn ``"float64"`` / ``"float32"`` (or a torch dtype) into a ``torch.dtype``.

    float64 is the default for every check; float32 is for GPU simulations that say so.
    """
    import torch

    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float64, torch.float32):
            raise ValueError(f"dtype: expected torch.float64 or torch.float32, got {dtype}")
        return dtype
    if dtype not in _DTYPES:
        raise ValueError(f"dtype: expected one of {_DTYPES}, got {dtype!r}")
    return getattr(torch, dtype)
